package oidcui

import (
	"slices"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
)

// The portal shows what a service received or asked, read from the
// provider's details, never the details themselves.
func TestVerificationOf(t *testing.T) {
	for _, c := range []struct {
		e       audit.Entry
		scopes  []string
		asked   []string
		outcome string
	}{
		{audit.Entry{Action: "oidc.claims", Outcome: audit.OK, Detail: "scopes openid profile birthdate"}, []string{"profile", "birthdate"}, nil, ""},
		{audit.Entry{Action: "oidc.ekyc", Outcome: audit.OK, Detail: "txn t-1; scopes profile"}, []string{"profile"}, nil, ""},
		{audit.Entry{Action: "verify.demographic", Outcome: audit.OK, Detail: "asked full_name,birth_date; purpose KYC; match"}, nil, []string{"full_name", "birth_date"}, "match"},
		{audit.Entry{Action: "verify.demographic", Outcome: audit.OK, Detail: "asked full_name; purpose KYC; no match 100"}, nil, []string{"full_name"}, "no_match"},
		{audit.Entry{Action: "verify.demographic", Outcome: audit.Denied, Detail: "client not entitled to verification"}, nil, nil, "refused"},
	} {
		v := verificationOf(c.e, "Ngân hàng")
		if !slices.Equal(v.Scopes, c.scopes) || !slices.Equal(v.Asked, c.asked) || v.Outcome != c.outcome || v.Service != "Ngân hàng" {
			t.Errorf("%q: %+v", c.e.Detail, v)
		}
	}
}
