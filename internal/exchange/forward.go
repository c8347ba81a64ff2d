package exchange

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha512"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// Member-published services: a member registers its own REST service
// (a base URL) in the catalogue; Populus forwards the /r1/ calls granted
// to it, after the same checks as its own services, signs what it
// forwarded and what came back (JWS, ES256, with the exchange CA's key),
// and keeps the evidence of each exchange: the hashes and signatures,
// never the bodies.
const (
	HeaderSubject           = "X-Populus-Subject"
	HeaderFields            = "X-Populus-Fields"
	HeaderConsent           = "X-Populus-Consent"
	HeaderRequestSignature  = "X-Populus-Request-Signature"
	HeaderResponseSignature = "X-Populus-Response-Signature"
	HeaderEvidence          = "X-Populus-Evidence"
	// HeaderProviderSignature is the provider's own JWS over the hashes
	// (ProviderStatement), with the key its subsystem registered.
	HeaderProviderSignature = "X-Populus-Provider-Signature"
	// HeaderClientSignature is the client's own JWS over its request
	// (ClientStatement), with the key its subsystem registered.
	HeaderClientSignature = "X-Populus-Client-Signature"
	maxForwardBody        = 10 << 20
)

// Signed is what Populus signs of each side of an exchange: the
// payload of the JWS in X-Populus-Request-Signature (Kind "request") and
// X-Populus-Response-Signature (Kind "response").
type Signed struct {
	Kind        string    `json:"kind"`
	RequestID   string    `json:"request_id"`
	Client      string    `json:"client"`
	Service     string    `json:"service"`
	RequestHash string    `json:"request_hash"`
	Hash        string    `json:"response_hash,omitempty"`
	Status      int       `json:"status,omitempty"`
	Time        time.Time `json:"time"`
}

// Evidence is the record of one forwarded exchange.
type Evidence struct {
	ID                string    `json:"id"`
	RequestID         string    `json:"request_id"`
	Client            string    `json:"client"`
	Service           string    `json:"service"`
	Provider          string    `json:"provider"`
	RequestHash       string    `json:"request_hash"`
	ResponseHash      string    `json:"response_hash"`
	RequestSignature  string    `json:"request_signature"`
	ResponseSignature string    `json:"response_signature"`
	ProviderSignature string    `json:"provider_signature,omitempty"`
	ClientSignature   string    `json:"client_signature,omitempty"`
	Status            int       `json:"status"`
	RequestedAt       time.Time `json:"requested_at"`
	RespondedAt       time.Time `json:"responded_at"`
}

// ProviderStatement is what a provider signs of an answer, with its
// subsystem's key, in X-Populus-Provider-Signature: the hash of the
// request as Populus forwarded it (from X-Populus-Request-Signature) and
// the SHA-512 of the body it answers (base64).
type ProviderStatement struct {
	RequestHash  string `json:"request_hash"`
	ResponseHash string `json:"response_hash"`
}

// ClientStatement is what a client signs of its request, with its
// subsystem's key, in X-Populus-Client-Signature: the request's id
// (X-Road-Id, which it must then send), the service id, and the SHA-512
// of the body it sends (base64; of nothing for a request without one).
type ClientStatement struct {
	RequestID string `json:"request_id"`
	Service   string `json:"service"`
	BodyHash  string `json:"body_hash"`
}

// verifyStatement checks a JWS of a subsystem against its registered key
// and decodes what it signed into v.
func (x *Exchange) verifyStatement(ctx context.Context, subsystem, jws string, v any) error {
	var jwk string
	if err := x.db.QueryRowContext(ctx, `SELECT public_jwk FROM exchange_subsystems WHERE id = $1`, subsystem).Scan(&jwk); err != nil || jwk == "" {
		return errors.New("no registered key")
	}
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON([]byte(jwk)); err != nil {
		return err
	}
	obj, err := jose.ParseSigned(jws, assertionAlgorithms)
	if err != nil {
		return err
	}
	b, err := obj.Verify(key.Key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifyProvider checks a provider's signature over the hashes against
// the key its subsystem registered.
func (x *Exchange) verifyProvider(ctx context.Context, provider, jws, reqHash, respHash string) error {
	var st ProviderStatement
	if err := x.verifyStatement(ctx, provider, jws, &st); err != nil {
		return err
	}
	if st.RequestHash != reqHash || st.ResponseHash != respHash {
		return errors.New("the provider signed other hashes")
	}
	return nil
}

// sign returns the compact JWS of v under the CA's key.
func (x *Exchange) sign(ctx context.Context, v any) (string, error) {
	ca, err := x.authority(ctx)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ca.key}, (&jose.SignerOptions{}).WithHeader("kid", hex.EncodeToString(ca.cert.SerialNumber.Bytes())))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	obj, err := s.Sign(b)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// VerifySignature checks a JWS of the exchange against the CA's public
// key and returns what it signed.
func (x *Exchange) VerifySignature(ctx context.Context, jws string) (Signed, error) {
	ca, err := x.authority(ctx)
	if err != nil {
		return Signed{}, err
	}
	return verifySigned(jws, ca.cert.PublicKey)
}

// verifySigned checks a JWS of the exchange (ES256) against the CA's
// public key pub and returns what it signed.
func verifySigned(jws string, pub crypto.PublicKey) (Signed, error) {
	var out Signed
	obj, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return out, err
	}
	b, err := obj.Verify(pub)
	if err != nil {
		return out, err
	}
	return out, json.Unmarshal(b, &out)
}

// bodyHash is a body's hash in the evidence: base64 of its SHA-512.
func bodyHash(b []byte) string {
	h := sha512.Sum512(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

// forward calls a member's own service.
func (x *Exchange) forward(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	// The path stays under the service's base URL, and names one of the
	// endpoints the service published (where it published any).
	segs, err := forwardPath(c.target.Rest)
	if err != nil {
		return x.refuse(ctx, c, ActionForward, "", problem.Field("path", "%v", err))
	}
	if len(c.service.Methods) > 0 && !slices.ContainsFunc(c.service.Methods, func(e Endpoint) bool { return e.matches(r.Method, segs) }) {
		return x.refuse(ctx, c, ActionForward, "", problem.New(problem.NotFound, "%s %s is not an endpoint of %s", r.Method, "/"+strings.Join(segs, "/"), c.service.ID))
	}
	subject := r.Header.Get(HeaderSubject)
	if subject != "" {
		if _, _, err := pin.Parse(subject); err != nil {
			return x.refuse(ctx, c, ActionForward, "", problem.Field(HeaderSubject, "%v", err))
		}
	}
	fields, err := c.asked(r)
	if err != nil {
		return x.refuse(ctx, c, ActionForward, subject, err)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForwardBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return problem.New(problem.TooLarge, "a forwarded request is at most 10 MiB")
	}
	// The person the request is about is the one named: a PIN in the
	// path, the query or a text body must be the subject's, or the
	// consent and the audit entry would be another person's.
	if other, where := otherPerson(subject, segs, r.URL.Query(), r.Header.Get("Content-Type"), body); other != "" {
		if subject == "" {
			return x.refuse(ctx, c, ActionForward, other, problem.Field(HeaderSubject, "is required: the request names a person by PIN in its %s; name them here", where))
		}
		return x.refuse(ctx, c, ActionForward, other, problem.Field(HeaderSubject, "names another person than the PIN in the request's %s: a forwarded request is about the person named here only", where))
	}
	if c.purpose.ConsentRequired && subject == "" {
		return x.refuse(ctx, c, ActionForward, "", problem.Field(HeaderSubject, "is required: the purpose needs the consent of the person concerned, named by PIN"))
	}
	consent := ""
	if subject != "" {
		if consent, err = x.consent(ctx, c, subject, consentFields(c.service.ID, fields)); err != nil {
			return x.refuse(ctx, c, ActionForward, subject, err)
		}
	}
	c.hash.Write(body)
	reqHash := sum(c.hash)
	svc := c.service.ID
	clientSig := r.Header.Get(HeaderClientSignature)
	if clientSig != "" {
		var st ClientStatement
		if err := x.verifyStatement(ctx, c.p.Username, clientSig, &st); err != nil || st.RequestID != c.h.RequestID || st.Service != svc ||
			st.BodyHash != bodyHash(body) || r.Header.Get(HeaderID) == "" {
			return x.refuse(ctx, c, ActionForward, subject, problem.Field(HeaderClientSignature, "does not verify with the subsystem's registered key over this request (its X-Road-Id, service and body)"))
		}
	}
	ev := Evidence{ID: newRequestID(), RequestID: c.h.RequestID, Client: c.p.Username, Service: svc,
		Provider: c.target.Service.Provider.String(), RequestHash: reqHash, RequestedAt: x.now().UTC(), ClientSignature: clientSig}
	if ev.RequestSignature, err = x.sign(ctx, Signed{Kind: "request", RequestID: ev.RequestID, Client: ev.Client, Service: svc, RequestHash: reqHash, Time: ev.RequestedAt}); err != nil {
		return err
	}
	target := strings.TrimRight(c.service.BaseURL, "/") + c.target.Rest
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range []string{"Content-Type", "Accept", HeaderClient, HeaderUserID, HeaderIssue} {
		if v := r.Header.Get(h); v != "" {
			out.Header.Set(h, v)
		}
	}
	out.Header.Set(HeaderID, c.h.RequestID)
	out.Header.Set(HeaderLegalBasis, c.h.Basis)
	out.Header.Set(HeaderFields, strings.Join(fields, ","))
	out.Header.Set(HeaderRequestSignature, ev.RequestSignature)
	if clientSig != "" {
		out.Header.Set(HeaderClientSignature, clientSig)
	}
	if subject != "" {
		out.Header.Set(HeaderSubject, subject)
	}
	if consent != "" {
		out.Header.Set(HeaderConsent, consent)
	}
	entry := c.entry(ActionForward, subject).For(c.h.Issue, c.h.Basis, consent).Disclosing(fields...)
	res, err := x.forwarder.Do(out)
	if err != nil {
		x.audit.Record(ctx, entry.Failing("the member's service did not answer: "+svc))
		return problem.New(problem.Unavailable, "the service %s did not answer", svc)
	}
	defer res.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(res.Body, maxForwardBody+1))
	if err != nil || len(respBody) > maxForwardBody {
		x.audit.Record(ctx, entry.Failing("the member's service answered unreadably or more than 10 MiB: "+svc))
		return problem.New(problem.Unavailable, "the service %s answered more than 10 MiB, or unreadably", svc)
	}
	ev.ResponseHash, ev.Status, ev.RespondedAt = bodyHash(respBody), res.StatusCode, x.now().UTC()
	if ps := res.Header.Get(HeaderProviderSignature); ps != "" {
		if err := x.verifyProvider(ctx, ev.Provider, ps, reqHash, ev.ResponseHash); err != nil {
			x.audit.Record(ctx, entry.Failing("the provider's signature does not verify: "+svc))
			return problem.New(problem.Unavailable, "the answer of %s carries a signature that does not verify with its registered key", svc)
		}
		ev.ProviderSignature = ps
	}
	if ev.ResponseSignature, err = x.sign(ctx, Signed{Kind: "response", RequestID: ev.RequestID, Client: ev.Client, Service: svc,
		RequestHash: reqHash, Hash: ev.ResponseHash, Status: ev.Status, Time: ev.RespondedAt}); err != nil {
		return err
	}
	if _, err := x.db.ExecContext(ctx, `INSERT INTO exchange_evidence (id, request_id, client_id, service_id, provider_id, request_hash, response_hash,
		request_signature, response_signature, provider_signature, client_signature, status, requested_at, responded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		ev.ID, ev.RequestID, ev.Client, ev.Service, ev.Provider, ev.RequestHash, ev.ResponseHash, ev.RequestSignature, ev.ResponseSignature,
		ev.ProviderSignature, ev.ClientSignature, ev.Status, isoNow(ev.RequestedAt), isoNow(ev.RespondedAt)); err != nil {
		return err
	}
	if err := x.audit.Record(ctx, entry.With("service "+svc+"; evidence "+ev.ID+"; status "+strconv.Itoa(ev.Status))); err != nil {
		return err
	}
	for _, k := range []string{"Content-Type", "Cache-Control", "ETag", "Last-Modified", HeaderProviderSignature} {
		if v := res.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	c.setHash(w)
	w.Header().Set(HeaderEvidence, ev.ID)
	w.Header().Set(HeaderResponseSignature, ev.ResponseSignature)
	w.WriteHeader(res.StatusCode)
	_, err = w.Write(respBody)
	return err
}

// EvidenceOf returns the evidence id to a party of the exchange (its
// client or its provider); to anyone else it does not exist.
func (x *Exchange) EvidenceOf(ctx context.Context, subsystem, id string) (Evidence, error) {
	var ev Evidence
	err := x.db.QueryRowContext(ctx, `SELECT id, request_id, client_id, service_id, provider_id, request_hash, response_hash, request_signature,
		response_signature, provider_signature, client_signature, status, requested_at, responded_at FROM exchange_evidence WHERE id = $1 AND (client_id = $2 OR provider_id = $2)`, id, subsystem).
		Scan(&ev.ID, &ev.RequestID, &ev.Client, &ev.Service, &ev.Provider, &ev.RequestHash, &ev.ResponseHash, &ev.RequestSignature,
			&ev.ResponseSignature, &ev.ProviderSignature, &ev.ClientSignature, &ev.Status, db.Time{T: &ev.RequestedAt}, db.Time{T: &ev.RespondedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return ev, problem.New(problem.NotFound, "no evidence %s of an exchange of yours", id)
	}
	return ev, err
}

func (x *Exchange) evidence(w http.ResponseWriter, r *http.Request) error {
	p, err := mustMember(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	id := r.PathValue("id")
	if _, ok := answerSubject(id); ok {
		// A search of the log: counted with the subsystem's /r1/ requests.
		if ok, retry := x.limit.allow(p.Username, x.now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			return problem.New(problem.RateLimited, "%s made more than %d requests this minute", p.Username, x.limit.max)
		}
		ev, err := x.answerEvidence(r.Context(), p.Username, id)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, ev)
	}
	ev, err := x.EvidenceOf(r.Context(), p.Username, id)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, ev)
}

// forwardPath is the path after a member service's id, decoded segment
// by segment; refused where a segment would leave the base URL (. or ..),
// hides a slash or a backslash, or a NUL.
func forwardPath(rest string) ([]string, error) {
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		return nil, nil
	}
	segs := strings.Split(rest, "/")
	for i, raw := range segs {
		seg, err := url.PathUnescape(raw)
		switch {
		case err != nil:
			return nil, fmt.Errorf("segment %d is not percent-encoded UTF-8", i+1)
		case seg == "." || seg == "..":
			return nil, fmt.Errorf("segment %d (%s) would leave the service's base URL", i+1, raw)
		case strings.ContainsAny(seg, "/\\\x00"):
			return nil, fmt.Errorf("segment %d hides a slash, a backslash or a NUL", i+1)
		}
		segs[i] = seg
	}
	return segs, nil
}

// otherPerson returns a PIN that a forwarded request names other than
// subject (any, where subject is empty), and where: each run of exactly
// 12 digits that is a valid PIN, in a path segment, a query's name or
// value, or a body of text (JSON, a form, XML, plain text: not a binary
// one, whose bytes may happen to look like one).
func otherPerson(subject string, segs []string, query url.Values, contentType string, body []byte) (pinStr, where string) {
	for _, seg := range segs {
		if p := pinOtherThan(subject, seg); p != "" {
			return p, "path"
		}
	}
	for k, vs := range query {
		for _, v := range append([]string{k}, vs...) {
			if p := pinOtherThan(subject, v); p != "" {
				return p, "query"
			}
		}
	}
	if textBody(contentType) {
		if p := pinOtherThan(subject, string(body)); p != "" {
			return p, "body"
		}
	}
	return "", ""
}

// pinOtherThan returns the first run of exactly 12 digits in s that is a
// valid PIN other than subject.
func pinOtherThan(subject, s string) string {
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if run := s[i:j]; j-i == pin.Length && run != subject {
			if _, _, err := pin.Parse(run); err == nil {
				return run
			}
		}
		i = j
	}
	return ""
}

// textBody says whether a body of contentType is text a PIN may be written
// in.
func textBody(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return contentType == "" // none said: read it as text
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/x-www-form-urlencoded" || mt == "application/xml" || strings.HasSuffix(mt, "+xml")
}

// matches reports whether a request of method to the path segs is this
// endpoint: the same method, the same segments, a {name} segment
// standing for any one.
func (e Endpoint) matches(method string, segs []string) bool {
	if !strings.EqualFold(e.Method, method) {
		return false
	}
	want := strings.Split(strings.Trim(e.Path, "/"), "/")
	if len(want) == 1 && want[0] == "" {
		want = nil
	}
	if len(want) != len(segs) {
		return false
	}
	for i, w := range want {
		if !(strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") && segs[i] != "") && w != segs[i] {
			return false
		}
	}
	return true
}

// VerifyForwarded checks the evidence of a forwarded exchange offline, as
// its client or its provider may: both of Populus's statements are signed
// by the exchange CA's key (ca: GET /api/v1/exchange/ca) and say what the
// evidence says (the request's id, client, service and hash; the
// response's hash and status), and, where the party kept the body of the
// answer (response not nil), it is the one whose hash was signed. The
// parties' own signatures, kept in the evidence, are checked with their
// registered keys when the exchange makes them; not here.
func VerifyForwarded(ev Evidence, response []byte, ca *x509.Certificate) error {
	verify := func(name, jws, kind string) (Signed, error) {
		st, err := verifySigned(jws, ca.PublicKey)
		if err != nil {
			return st, fmt.Errorf("the %s signature is not the exchange CA's: %w", name, err)
		}
		if st.Kind != kind || st.RequestID != ev.RequestID || st.Client != ev.Client || st.Service != ev.Service || st.RequestHash != ev.RequestHash {
			return st, fmt.Errorf("the %s signature is of another exchange (%s %s of %s to %s)", name, st.Kind, st.RequestID, st.Client, st.Service)
		}
		return st, nil
	}
	if _, err := verify("request", ev.RequestSignature, "request"); err != nil {
		return err
	}
	st, err := verify("response", ev.ResponseSignature, "response")
	if err != nil {
		return err
	}
	if st.Hash != ev.ResponseHash || st.Status != ev.Status {
		return fmt.Errorf("the response signature says hash %s and status %d, the evidence %s and %d", st.Hash, st.Status, ev.ResponseHash, ev.Status)
	}
	if response != nil && bodyHash(response) != ev.ResponseHash {
		return errors.New("the body is not the answer whose hash was signed")
	}
	return nil
}
