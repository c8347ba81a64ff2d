package exchange

import (
	"context"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/textfold"
)

// The X-Road REST message protocol's headers, and Populus's one addition.
const (
	HeaderClient      = "X-Road-Client"
	HeaderID          = "X-Road-Id"
	HeaderUserID      = "X-Road-UserId"
	HeaderIssue       = "X-Road-Issue"
	HeaderRequestHash = "X-Road-Request-Hash"
	HeaderLegalBasis  = "X-Populus-Legal-Basis"
	HeaderService     = "X-Road-Service"
	// HeaderError flags an answer made by Populus, not by the service
	// (X-Road's error types: Client.…, Server.ServerProxy.…); the body is
	// the problem document.
	HeaderError = "X-Road-Error"
)

// xroadError is the X-Road-Error type of a refusal.
func xroadError(err error) string {
	switch problem.KindOf(err) {
	case problem.Invalid, problem.TooLarge, problem.Unsupported, problem.MethodNotAllowed:
		return "Client.BadRequest"
	case problem.Unauthorized:
		return "Client.Unauthorized"
	case problem.Forbidden:
		return "Server.ServerProxy.AccessDenied"
	case problem.NotFound:
		return "Server.ServerProxy.NotFound"
	case problem.Unavailable:
		return "Server.ServerProxy.ServiceFailed"
	}
	return "Server.ServerProxy.InternalError"
}

// Platform is the subsystem of the register's own services.
const Platform = "VN/GOV/BCA/C06-REGISTER"

// Headers are an /r1/ request's protocol headers, checked.
type Headers struct {
	Client    string // the calling subsystem
	RequestID string
	UserID    string // the official acting, where one does
	Issue     string // the purpose code
	Basis     string // X-Populus-Legal-Basis, if given
}

// headerValue checks one header's value: printable UTF-8, at most max
// bytes, without the invisible characters that change how text reads
// (format characters: the direction marks and overrides, zero-width
// spaces) where it is shown, in an audit entry or to the citizen.
func headerValue(f *problem.Fields, name, v string, max int) {
	if len(v) > max || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		f.Add(name, "must be printable UTF-8 of at most %d bytes", max)
	} else if i := strings.IndexFunc(v, textfold.Invisible); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		f.Add(name, "must not hold invisible or text-direction characters (%U)", r)
	}
}

// ParseHeaders reads and checks the protocol headers. The request id is
// made when absent; the purpose (X-Road-Issue) is always required.
func ParseHeaders(h http.Header) (Headers, error) {
	out := Headers{Client: h.Get(HeaderClient), RequestID: h.Get(HeaderID), UserID: h.Get(HeaderUserID), Issue: h.Get(HeaderIssue), Basis: h.Get(HeaderLegalBasis)}
	var f problem.Fields
	// A protocol header given twice is refused: its second value must not
	// pass unread to a service that would read it.
	for _, name := range [...]string{HeaderClient, HeaderID, HeaderUserID, HeaderIssue, HeaderLegalBasis} {
		if len(h.Values(name)) > 1 {
			f.Add(name, repeated)
		}
	}
	if out.Client == "" {
		f.Add(HeaderClient, "is required: the calling subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM")
	} else if _, err := ParseSubsystem(out.Client); err != nil {
		f.Add(HeaderClient, "%v", err)
	}
	if out.RequestID == "" {
		out.RequestID = newRequestID()
	}
	headerValue(&f, HeaderID, out.RequestID, 200)
	headerValue(&f, HeaderUserID, out.UserID, 200)
	if strings.Contains(out.UserID, ";") {
		f.Add(HeaderUserID, "must not contain ; (it separates the parts of an audit entry)")
	}
	headerValue(&f, HeaderLegalBasis, out.Basis, 300)
	if out.Issue == "" {
		f.Add(HeaderIssue, "is required: the purpose of the request, a code of the purposes catalogue")
	} else if err := part(HeaderIssue, out.Issue); err != nil {
		f.Add(HeaderIssue, "%v", err)
	}
	return out, f.Err()
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// reqHash is the hash of a request as X-Road's REST protocol defines
// X-Road-Request-Hash: base64 of SHA-512(SHA-512(headers) + SHA-512(body)),
// or of SHA-512(headers) when there is no body. The headers are the
// method, the path with its query, and the protocol headers, one a line
// (the canonical form Populus hashes: a REST client cannot know the
// security server's serialisation anyway). The body is hashed as it is
// read.
type reqHash struct {
	head [64]byte
	body hash.Hash // made by the first byte of a body
	n    int64
}

func (h *reqHash) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if h.body == nil {
		h.body = sha512.New()
	}
	h.n += int64(len(b))
	return h.body.Write(b)
}

func requestHash(r *http.Request, h Headers) *reqHash {
	var buf [512]byte // the canonical headers of most requests fit
	b := buf[:0]
	for _, s := range [...]string{r.Method, " ", r.URL.RequestURI(), "\n", HeaderClient, ": ", h.Client, "\n", HeaderID, ": ", h.RequestID, "\n",
		HeaderIssue, ": ", h.Issue, "\n", HeaderUserID, ": ", h.UserID, "\n", HeaderLegalBasis, ": ", h.Basis, "\n"} {
		b = append(b, s...)
	}
	return &reqHash{head: sha512.Sum512(b)}
}

func sum(h *reqHash) string {
	if h.n == 0 {
		return base64.StdEncoding.EncodeToString(h.head[:])
	}
	d := sha512.New()
	d.Write(h.head[:])
	d.Write(h.body.Sum(nil))
	return base64.StdEncoding.EncodeToString(d.Sum(nil))
}

// call is one /r1/ request as it is checked.
type call struct {
	p       auth.Principal
	h       Headers
	target  Target
	purpose Purpose
	service Service
	right   Right
	hash    *reqHash
	start   time.Time
	// subject is the person the call concerns where its path (the
	// person look-up) or X-Populus-Subject names one: a refusal before the
	// service reads it is recorded against that person, who sees it.
	subject string
	// known: the service (or, for a metadata call, the provider) is the
	// catalogue's.
	known bool
	// repeats, in a batch, counts the refusals that repeat one already
	// recorded (refuse).
	repeats *refusalRepeats
}

// refusalRepeats are a batch's refusals by what they refuse (action,
// person, reason): the first of each is recorded when it is made, the
// ones that repeat it are counted and recorded once, with their number,
// when the batch ends (recordRepeats). A batch of 10,000 rows about one
// person beyond the day's limit leaves two entries against them, not
// 10,000, in the log and in their "who used my data".
type refusalRepeats struct {
	m     map[string]*refusalRepeat
	order []*refusalRepeat
	// consent keeps the consent service's refusals by person and fields:
	// asked again in the batch, the answer is the same (the consent
	// service, which records each check, is not asked again).
	consent map[string]error
}

func newRefusalRepeats() *refusalRepeats {
	return &refusalRepeats{m: map[string]*refusalRepeat{}, consent: map[string]error{}}
}

type refusalRepeat struct {
	entry audit.Entry
	why   string
	n     int
}

// subjectOf is the person a call names: the PIN of the person look-up's
// path, or of X-Populus-Subject for a member's service; "" for none or
// one that is not a PIN.
func subjectOf(t Target, h http.Header) string {
	s := h.Get(HeaderSubject)
	if t.Service.Provider.String() == Platform && t.Service.Code == "person" {
		s = strings.TrimPrefix(t.Rest, "/")
	}
	if _, _, err := pin.Parse(s); err != nil {
		return ""
	}
	return s
}

// entry is the audit entry of the call on subject.
func (c *call) entry(a auth.Action, subject string) audit.Entry {
	e := audit.Of(c.p, a, subject).For(c.h.Issue, c.h.Basis, "")
	if c.h.UserID != "" {
		e = e.With("official " + c.h.UserID)
	}
	return e
}

// joinDetail is detail a, then b, in one entry's detail.
func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// refuse audits a refusal of the call and returns err; in a batch, one
// that repeats a refusal already recorded is counted (refusalRepeats).
func (x *Exchange) refuse(ctx context.Context, c *call, a auth.Action, subject string, err error) error {
	if subject == "" {
		subject = c.subject
	}
	why := problem.BodyOf(err, "").Detail + reasonOf(err)
	e := c.entry(a, subject)
	if rs := c.repeats; rs != nil {
		key := string(a) + "\x00" + subject + "\x00" + why
		if r, ok := rs.m[key]; ok {
			r.n++
			return err
		}
		r := &refusalRepeat{entry: e, why: why}
		rs.m[key] = r
		rs.order = append(rs.order, r)
	}
	x.audit.Record(ctx, e.Refused(why))
	return err
}

// recordRepeats records, once each, the refusals of a batch that repeated
// one recorded before, with their number.
func (x *Exchange) recordRepeats(ctx context.Context, c *call) {
	if c.repeats == nil {
		return
	}
	var es []audit.Entry
	for _, r := range c.repeats.order {
		if r.n > 0 {
			es = append(es, r.entry.Refused(fmt.Sprintf("%s; %d more rows of this batch refused the same way", r.why, r.n)))
		}
	}
	if len(es) > 0 {
		x.audit.Record(context.WithoutCancel(ctx), es...)
	}
}

func reasonOf(err error) string {
	var out []string
	for _, fe := range problem.BodyOf(err, "").Errors {
		out = append(out, fe.Field+": "+fe.Reason)
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ")"
}

// serve is the /r1/ handler: it checks the path, the headers, the purpose
// and the right, then calls the service.
func (x *Exchange) serve(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w}
	c := &call{start: x.now()}
	err := x.dispatch(cw, r, c)
	if err != nil && !cw.wrote {
		w.Header().Set(HeaderError, xroadError(err))
		httpx.WriteProblem(cw, r, err)
	}
	x.mon.record(c, r, cw, err)
}

func (x *Exchange) dispatch(w *countingWriter, r *http.Request, c *call) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	c.p = p
	c.h, err = ParseHeaders(r.Header)
	if c.h.RequestID != "" && len(c.h.RequestID) <= 200 {
		w.Header().Set(HeaderID, c.h.RequestID)
	}
	ctx := audit.WithRequest(r.Context(), c.h.RequestID)
	r = r.WithContext(ctx)
	t, perr := ParsePath(r.URL.EscapedPath())
	c.target = t
	if perr == nil && t.Meta == "" {
		c.subject = subjectOf(t, r.Header)
	}
	if perr != nil {
		return x.refuse(ctx, c, ActionLookup, "", problem.Field("path", "%v", perr))
	}
	if err != nil {
		// Metadata calls need no purpose: the rest of the headers still hold.
		if !(t.Meta != "" && onlyIssueMissing(err)) {
			return x.refuse(ctx, c, actionOf(t), "", err)
		}
	}
	if c.h.Client == p.Username {
		w.Header().Set(HeaderClient, c.h.Client)
		if t.Meta == "" {
			w.Header().Set(HeaderService, t.Service.String())
		}
	}
	if c.h.Client != p.Username {
		return x.refuse(ctx, c, actionOf(t), "", problem.Field(HeaderClient, "is %s, but the caller authenticated as %s", c.h.Client, p.Username))
	}
	c.hash = requestHash(r, c.h)
	if ok, retry := x.limit.allow(p.Username, x.now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		return x.refuse(ctx, c, actionOf(t), "", problem.New(problem.RateLimited, "%s made more than %d requests this minute", p.Username, x.limit.max))
	}
	if t.Meta != "" {
		return x.meta(w, r, c)
	}
	cat, err := x.catalogue(ctx)
	if err != nil {
		return err
	}
	var ok bool
	if c.purpose, ok = cat.purposes[c.h.Issue]; !ok {
		return x.refuse(ctx, c, actionOf(t), "", problem.Field(HeaderIssue, "%s is not a purpose of the catalogue", c.h.Issue))
	}
	if err := c.checkBasis(); err != nil {
		return x.refuse(ctx, c, actionOf(t), "", err)
	}
	svcID := t.Service.String()
	if c.service, ok = cat.services[svcID]; !ok {
		return x.refuse(ctx, c, actionOf(t), "", problem.New(problem.NotFound, "no service %s in the catalogue", svcID))
	}
	c.known = true
	if c.right, err = cat.right(p.Username, svcID, c.purpose); err != nil {
		return x.refuse(ctx, c, actionOf(t), "", err)
	}
	if t.Service.Provider.String() == Platform {
		switch t.Service.Code {
		case "person":
			return x.lookup(w, r, c)
		case "verify":
			return x.verifyOne(w, r, c)
		case "verify-batch":
			return x.verifyBatch(w, r, c)
		}
	}
	if c.service.BaseURL == "" {
		return problem.New(problem.NotFound, "the service %s has no implementation", svcID)
	}
	return x.forward(w, r, c)
}

func onlyIssueMissing(err error) bool {
	b := problem.BodyOf(err, "")
	return len(b.Errors) == 1 && b.Errors[0].Field == HeaderIssue
}

func actionOf(t Target) auth.Action {
	switch t.Service.Code {
	case "verify", "verify-batch":
		return ActionVerify
	case "person":
		return ActionLookup
	}
	return ActionForward
}

// checkBasis settles the legal basis: the purpose's one, or the one the
// caller names among the purpose's several.
func (c *call) checkBasis() error {
	var err error
	if c.h.Basis, err = c.purpose.basis(HeaderLegalBasis, c.h.Basis); err != nil {
		return err
	}
	if c.purpose.OfficerRequired && c.h.UserID == "" {
		return problem.Field(HeaderUserID, "is required: %s is done by an official, who must be named", c.purpose.Code)
	}
	return nil
}

// basis settles the legal basis of an access for the purpose: given, if
// it is one of the purpose's; the purpose's one when none is given; else
// the refusal, naming field.
func (p Purpose) basis(field, given string) (string, error) {
	switch {
	case given != "" && !slices.Contains(p.LegalBases, given):
		return "", problem.Field(field, "is not a legal basis of %s (%s)", p.Code, strings.Join(p.LegalBases, " | "))
	case given == "" && len(p.LegalBases) > 1:
		return "", problem.Field(field, "is required: %s has several legal bases (%s)", p.Code, strings.Join(p.LegalBases, " | "))
	case given == "":
		return p.LegalBases[0], nil
	}
	return given, nil
}

// consent returns the consent id of an access to subject's fields, or ""
// where the purpose needs none; a refusal is the consent service's.
func (x *Exchange) consent(ctx context.Context, c *call, subject string, fields []string) (string, error) {
	return x.consentFor(ctx, c.purpose, subject, c.p.Username, fields)
}

// consentFor returns the id of the consent of subject that lets client
// learn fields for purpose (its use counted), "" where the purpose needs
// none, or the consent service's refusal: the decision of the look-up,
// the verifications and the change events alike.
func (x *Exchange) consentFor(ctx context.Context, purpose Purpose, subject, client string, fields []string) (string, error) {
	if !purpose.ConsentRequired {
		return "", nil
	}
	if len(fields) == 0 {
		// A consent covers fields: a request for none would pass any.
		return "", problem.New(problem.Forbidden, "the purpose %s needs the citizen's consent to the fields asked, and the request asks for none", purpose.Code)
	}
	if x.consents == nil {
		return "", problem.New(problem.Forbidden, "the purpose %s needs the citizen's consent, and no consent service is available", purpose.Code)
	}
	return x.consents.Authorize(ctx, subject, client, purpose.Code, fields)
}

// countingWriter counts the response's bytes for monitoring.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (w *countingWriter) WriteHeader(s int) {
	if !w.wrote {
		w.status, w.wrote = s, true
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
