package main

import (
	"slices"
	"strings"
	"testing"
)

// The passkeys' relying party follows the site's URL; a loopback address
// becomes localhost, which browsers accept as a passkey's site.
func TestPasskeyOptions(t *testing.T) {
	for _, c := range []struct{ site, rpID, origin string }{
		{"https://eid.example.vn", "eid.example.vn", "https://eid.example.vn"},
		{"https://eid.example.vn:8443", "eid.example.vn", "https://eid.example.vn:8443"},
		{"http://127.0.0.1:8080", "localhost", "http://localhost:8080"},
		{"http://[::1]:8080", "localhost", "http://localhost:8080"},
	} {
		o := passkeyOptions(c.site)
		if o.RPID != c.rpID || !slices.Equal(o.Origins, []string{c.origin}) {
			t.Errorf("%s: %+v", c.site, o)
		}
	}
}

// The demo's welcome names where passkeys work.
func TestDemoPrintsPasskeys(t *testing.T) {
	var b strings.Builder
	printCitizens(&b, "127.0.0.1:8080", nil)
	if !strings.Contains(b.String(), "Passkeys: open http://localhost:8080/eid/me") {
		t.Errorf("welcome: %s", b.String())
	}
}
