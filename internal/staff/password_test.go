package staff

import (
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with the parameters", h)
	}
	if !VerifyPassword("correct horse battery", h) {
		t.Error("the right password does not verify")
	}
	if VerifyPassword("correct horse batterY", h) {
		t.Error("a wrong password verifies")
	}
	h2, _ := HashPassword("correct horse battery", TestParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestMalformedHashNeverMatches(t *testing.T) {
	good, _ := HashPassword("x", TestParams)
	parts := strings.Split(good, "$")
	for _, h := range []string{
		"",
		"plain-text-password",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=0,t=1,p=1", 1),
		strings.Join(parts[:5], "$") + "$",
		strings.Join(parts[:5], "$") + "$!!!",
	} {
		if VerifyPassword("x", h) {
			t.Errorf("VerifyPassword accepted %q", h)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("x", TestParams)
	if needsRehash(h, TestParams) {
		t.Error("a hash with the current parameters needs rehashing")
	}
	if !needsRehash(h, DefaultParams) {
		t.Error("a hash with weaker parameters does not need rehashing")
	}
}
