package identity_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/identity"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*identity.Service)(nil).OpenAPI(), map[string]any{
		"IdentityApplication":           identity.Application{},
		"IdentityPending":               identity.Pending{},
		"IdentityConfirmation":          identity.Confirmation{},
		"IdentityUnlockRequest":         identity.UnlockRequest{},
		"IdentityUnlockCodeRequest":     identity.UnlockCodeRequest{},
		"IdentityAccount":               identity.Account{},
		"IdentitySessionRequest":        identity.SessionRequest{},
		"IdentitySession":               identity.SessionResponse{},
		"IdentityLockRequest":           identity.LockRequest{},
		"IdentityLevel2Request":         identity.Level2Request{},
		"IdentityRecoveryRequest":       identity.RecoveryRequest{},
		"IdentityRecoveryCompletion":    identity.RecoveryCompletion{},
		"IdentityLogin":                 identity.Login{},
		"IdentityLoginPage":             identity.LoginPage{},
		"IdentityTOTPEnrollment":        identity.TOTPEnrollment{},
		"IdentityTOTPCode":              identity.TOTPCode{},
		"IdentityPasswordChange":        identity.PasswordChange{},
		"IdentityMethodState":           identity.MethodState{},
		"IdentityMethodRequest":         identity.MethodRequest{},
		"IdentityPasskey":               identity.Passkey{},
		"IdentityCeremony":              identity.Ceremony{},
		"IdentityPasskeyRegistration":   identity.PasskeyRegistration{},
		"IdentityPasskeySessionRequest": identity.PasskeySessionRequest{},
	})
}
