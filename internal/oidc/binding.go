package oidc

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/populus-vn/populus/internal/identity"
)

// An authorization request is bound to the browser that began it: the
// redirect from /authorize to the sign-in page sets a cookie holding an
// HMAC of the request's id (keyed from the master key), and the sign-in,
// the consent and the callback that issues the code go on only in a
// browser that holds it. Whoever began a request knows its id; without
// the binding, they could have a signed-in citizen's browser approve it
// (a link to the consent page, answered at once when the consent is
// remembered) and take the code from the callback themselves.

// bindPrefix begins the names of the binding cookies, one a request.
const bindPrefix = "populus_authz_"

// bindName is the cookie of request id (a digest of the id: a cookie's
// name takes no arbitrary characters).
func bindName(id string) string {
	sum := sha256.Sum256([]byte(id))
	return bindPrefix + hex.EncodeToString(sum[:8])
}

// bindValue is the cookie's value for request id.
func (p *Provider) bindValue(id string) string {
	m := hmac.New(sha256.New, p.bindKey[:])
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setCookie sets one of a request's cookies on w, for the request's life
// (a value of "" expires it).
func (p *Provider) setCookie(w http.ResponseWriter, name, value string) {
	age := int(authRequestTTL.Seconds())
	if value == "" {
		age = -1
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: age,
		HttpOnly: true, Secure: strings.HasPrefix(p.opts.Issuer, "https://"), SameSite: http.SameSiteLaxMode})
}

// bind sets the binding cookie of request id on w.
func (p *Provider) bind(w http.ResponseWriter, id string) {
	p.setCookie(w, bindName(id), p.bindValue(id))
}

// unbind expires request id's cookies (the binding, and a sign-in's mark)
// on w: the callback that issues the code is the request's last step.
func (p *Provider) unbind(w http.ResponseWriter, id string) {
	p.setCookie(w, bindName(id), "")
	p.setCookie(w, signedInName(id), "")
}

// Bound reports whether r comes from the browser that began request id.
func (p *Provider) Bound(r *http.Request, id string) bool {
	if id == "" {
		return false
	}
	c, err := r.Cookie(bindName(id))
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(p.bindValue(id))) == 1
}

// bindWriter sets the binding cookie when the authorization endpoint sends
// the browser to the sign-in page of a new request.
type bindWriter struct {
	http.ResponseWriter
	p *Provider
}

func (w *bindWriter) WriteHeader(status int) {
	if status == http.StatusFound || status == http.StatusSeeOther {
		if loc, err := url.Parse(w.Header().Get("Location")); err == nil && loc.Path == loginPath {
			if id := loc.Query().Get("id"); id != "" {
				w.p.bind(w.ResponseWriter, id)
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *bindWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// A sign-in page's sign-in for a request is marked in the browser, so that
// the consent page knows the session it finds was made for this request
// (prompt=login, max_age): a session that was not is sent back to sign in.

// signedInName is the cookie of a sign-in made for request id.
func signedInName(id string) string { return bindName(id) + "_s" }

// signedInValue ties request id to the session sess, by the session's
// own secret (its CSRF token, random to each session and read back as
// stored: the time it began is not, the store keeping microseconds).
func (p *Provider) signedInValue(id string, sess identity.Session) string {
	m := hmac.New(sha256.New, p.bindKey[:])
	fmt.Fprintf(m, "signed in\x00%s\x00%d\x00%s", id, sess.Account.ID, sess.CSRF)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MarkSignedIn notes on w that sess was signed in on the sign-in page of
// request id.
func (p *Provider) MarkSignedIn(w http.ResponseWriter, id string, sess identity.Session) {
	p.setCookie(w, signedInName(id), p.signedInValue(id, sess))
}

// SignedInFor reports whether sess was signed in on the sign-in page of
// request id, in the browser of r.
func (p *Provider) SignedInFor(r *http.Request, id string, sess identity.Session) bool {
	c, err := r.Cookie(signedInName(id))
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(p.signedInValue(id, sess))) == 1
}
