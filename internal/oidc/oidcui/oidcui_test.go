package oidcui_test

import (
	"slices"
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/oidc/oidcui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the pages use is in the catalog, the scope labels of
// the consent screen included.
func TestMessages(t *testing.T) {
	m := oidcui.Module(nil, nil, nil, nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	if !slices.Equal(prefixes, []string{"oidc.scope", "portal.action", "portal.check", "portal.method", "portal.outcome"}) {
		t.Errorf("prefixes %v", prefixes)
	}
	for _, o := range []string{"ok", "failed", "refused"} {
		ids = append(ids, "portal.outcome."+o)
	}
	for _, o := range []string{"match", "no_match", "refused"} {
		ids = append(ids, "portal.check."+o)
	}
	ids = append(ids, "flash.oidc.client_disabled", "flash.portal.withdrawn", "flash.portal.locked", "flash.portal.method_locked", "flash.portal.method_unlocked", "flash.portal.passkey_removed", "flash.portal.totp_enabled")
	for _, m := range identity.Methods {
		ids = append(ids, "portal.method."+m)
	}
	for _, a := range []string{oidc.ActionVerify, oidc.ActionClaims, oidc.ActionEKYC} {
		ids = append(ids, "portal.action."+a)
	}
	for _, s := range []string{"profile", "birthdate", "address", "phone", "vn_pin"} {
		ids = append(ids, "oidc.scope."+s)
	}
	ids = append(ids, "oidc.field.pin", "oidc.field.password", "portal.recover.code", "portal.recover.password", "portal.recover.repeat", "flash.portal.recovered", "flash.portal.password_reset", "portal.reset.phone", "flash.portal.unlocked", "flash.portal.unlocked_password", "flash.portal.recovery_code", "flash.refused.portal.last_method")
	for _, id := range ids {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is used but missing from %s.json", id, lang)
			}
		}
	}
}
