package apitest

import (
	"testing"
)

type inner struct {
	B string `json:"b"`
}

type sample struct {
	A string `json:"a,omitempty"`
	inner
	Skip string `json:"-"`
	c    string
}

// recorder counts the errors Schemas reports, so that its failures can be
// tested.
type recorder struct {
	testing.TB
	errs int
}

func (r *recorder) Errorf(string, ...any) { r.errs++ }
func (r *recorder) Helper()               {}

func TestSchemas(t *testing.T) {
	good := []byte(`{"components":{"schemas":{"S":{"properties":{"a":{},"b":{}}},"T":{"properties":{"in":{"properties":{"b":{}}}}}}}}`)
	r := &recorder{TB: t}
	Schemas(r, good, map[string]any{"S": sample{}, "T.in": inner{}})
	if r.errs != 0 {
		t.Errorf("%d errors on a fragment that matches", r.errs)
	}
	bad := []byte(`{"components":{"schemas":{"S":{"properties":{"a":{},"c":{}}}}}}`)
	r = &recorder{TB: t}
	Schemas(r, bad, map[string]any{"S": sample{}, "Missing": sample{}, "S.a": inner{}})
	if r.errs != 3 {
		t.Errorf("%d errors, want 3: a wrong field, a missing schema, no inline object", r.errs)
	}
	_ = sample{}.c
}
