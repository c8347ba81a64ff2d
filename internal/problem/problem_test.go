package problem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFieldsCollectAndNest(t *testing.T) {
	var f Fields
	if f.Err() != nil {
		t.Fatal("empty Fields is an error")
	}
	f.Add("name", "must not be empty")
	f.AddErr("child", Field("birth_date", "day 30 does not exist"))
	f.AddErr("pin", errors.New("has 11 digits"))
	err := f.Err()
	b := BodyOf(err, "/x")
	if b.Status != 422 || len(b.Errors) != 3 {
		t.Fatalf("body = %+v", b)
	}
	if b.Errors[1].Field != "child.birth_date" {
		t.Errorf("nested field = %q", b.Errors[1].Field)
	}
}

func TestInternalErrorsHideText(t *testing.T) {
	b := BodyOf(fmt.Errorf("pq: password=secret"), "")
	if b.Status != 500 || b.Detail == "" || contains(b.Detail, "secret") {
		t.Errorf("body = %+v", b)
	}
	if KindOf(fmt.Errorf("wrap: %w", New(NotFound, "x"))) != NotFound {
		t.Error("KindOf does not see through wrapping")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
