package bad

import "testing"

var q = map[string]string{"u": "update persons set status = 'x'"}

func TestX(t *testing.T) {}
