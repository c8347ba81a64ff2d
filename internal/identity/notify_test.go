package identity_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/identity"
)

// The SMS gateway adapter posts {to, text} as JSON with the bearer token,
// and reports a refusal of the gateway; it sends nothing but SMS.
func TestSMSGateway(t *testing.T) {
	var got map[string]string
	var auth string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	g := &identity.SMSGateway{URL: srv.URL, Token: "t0k"}
	ctx := context.Background()
	if err := g.Send(ctx, identity.Message{Channel: "sms", To: "+84912345678", Body: "ma 123456"}); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+84912345678" || got["text"] != "ma 123456" || auth != "Bearer t0k" {
		t.Errorf("sent %v with %q", got, auth)
	}
	status = http.StatusBadGateway
	if err := g.Send(ctx, identity.Message{Channel: "sms", To: "+84912345678", Body: "x"}); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("a refusal: %v", err)
	}
	if err := g.Send(ctx, identity.Message{Channel: "email", To: "a@b.vn"}); err == nil {
		t.Error("an e-mail sent by the SMS gateway")
	}
	m := &identity.SMTPMailer{Addr: "127.0.0.1:1", From: "eid@populus.vn"}
	if err := m.Send(ctx, identity.Message{Channel: "email", To: "a@b.vn\r\nBcc: x@y.vn"}); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("header injection: %v", err)
	}
}
