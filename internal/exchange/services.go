package exchange

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// PersonFields are the fields of the person look-up, each a right may
// grant.
var PersonFields = []string{"full_name", "other_names", "birth_date", "sex", "status", "death_date", "birth_place", "hometown",
	"ethnicity", "religion", "nationality", "permanent_residence", "temporary_residence", "current_address", "household_id",
	"father_pin", "mother_pin", "spouse_pin", "id_card"}

// VerifyFields are what a verification may ask about: the fields it
// matches and its predicates.
var VerifyFields = []string{"full_name", "birth_date", "address", "card_number", "age_at_least", "resides_in", "alive"}

// IsRegisterField reports whether x is a field of the register's own
// services (PersonFields, VerifyFields): the pages name each in words
// (the message field.<x>).
func IsRegisterField(x string) bool {
	return slices.Contains(PersonFields, x) || slices.Contains(VerifyFields, x)
}

// personValue is one field of p.
func personValue(p *people.Person, f string) any {
	switch f {
	case "full_name":
		return p.FullName
	case "other_names":
		return p.OtherNames
	case "birth_date":
		return p.BirthDate
	case "sex":
		return p.Sex
	case "status":
		return p.Status
	case "death_date":
		return p.DeathDate
	case "birth_place":
		return p.BirthPlace
	case "hometown":
		return p.Hometown
	case "ethnicity":
		return p.Ethnicity
	case "religion":
		return p.Religion
	case "nationality":
		return p.Nationality
	case "permanent_residence":
		return p.Permanent
	case "temporary_residence":
		return p.Temporary
	case "current_address":
		return p.Current
	case "household_id":
		return p.HouseholdID
	case "father_pin":
		return p.FatherPIN
	case "mother_pin":
		return p.MotherPIN
	case "spouse_pin":
		return p.SpousePIN
	case "id_card":
		return p.Card
	}
	return nil
}

// setHash sets X-Road-Request-Hash before the answer is written.
func (c *call) setHash(w http.ResponseWriter) { w.Header().Set(HeaderRequestHash, sum(c.hash)) }

// asked returns the fields of ?fields= (all the granted ones when absent),
// refusing those the right does not grant.
func (c *call) asked(r *http.Request) ([]string, error) {
	// Every fields parameter counts (?fields=a&fields=b asks for both): a
	// second one must not pass unread.
	var out []string
	for _, q := range r.URL.Query()["fields"] {
		for f := range strings.SplitSeq(q, ",") {
			if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return c.right.Fields, nil
	}
	for _, f := range out {
		if !slices.Contains(c.service.Fields, f) {
			return nil, problem.Field("fields", "%s is not a field of %s (%s)", f, c.service.ID, strings.Join(c.service.Fields, ", "))
		}
	}
	if refused := c.right.refused(out); len(refused) > 0 {
		return nil, c.right.deny(refused)
	}
	return out, nil
}

// lookup is GET /r1/VN/GOV/BCA/C06-REGISTER/person/{pin}: the person's
// fields that the right grants (or those of ?fields=, among them).
func (x *Exchange) lookup(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		return problem.New(problem.MethodNotAllowed, "the person look-up is GET /r1/%s/person/{pin}", Platform)
	}
	// The path's PIN, parsed already where it is one (call.subject).
	pinStr := strings.TrimPrefix(c.target.Rest, "/")
	if pinStr == "" || pinStr != c.subject {
		if _, _, err := pin.Parse(pinStr); err != nil {
			return x.refuse(ctx, c, ActionLookup, "", problem.Field("pin", "%v", err))
		}
	}
	fields, err := c.asked(r)
	if err != nil {
		return x.refuse(ctx, c, ActionLookup, pinStr, err)
	}
	consent, err := x.consent(ctx, c, pinStr, fields)
	if err != nil {
		return x.refuse(ctx, c, ActionLookup, pinStr, err)
	}
	if x.reg == nil {
		return problem.New(problem.Unavailable, "the register is not available to the exchange")
	}
	p, err := x.reg.Get(ctx, reader, pinStr)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			x.audit.Record(ctx, c.entry(ActionLookup, pinStr).For(c.h.Issue, c.h.Basis, consent).Failing("no person with this PIN"))
		}
		return err
	}
	var b bytes.Buffer
	b.WriteString(`{"pin":`)
	v, _ := json.Marshal(p.PIN)
	b.Write(v)
	for _, f := range fields {
		v, err := json.Marshal(personValue(&p, f))
		if err != nil {
			return err
		}
		b.WriteString(`,"` + f + `":`)
		b.Write(v)
	}
	b.WriteString("}\n")
	// The entry commits to the answer (answer.go), before it is sent.
	evidence, detail := newAnswerEvidence(pinStr, b.Bytes())
	e := c.entry(ActionLookup, pinStr).For(c.h.Issue, c.h.Basis, consent).Disclosing(fields...)
	if err := x.audit.Record(ctx, e.With(joinDetail(e.Detail, detail))); err != nil {
		return err
	}
	w.Header().Set(HeaderEvidence, evidence)
	c.setHash(w)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b.Bytes())
	return err
}

// questions are the fields and predicates a verification asks.
func questions(in *oidc.VerifyRequest) []string {
	var out []string
	for _, q := range []struct {
		name string
		set  bool
	}{{"full_name", in.FullName != nil}, {"birth_date", in.BirthDate != nil}, {"address", in.Address != nil}, {"card_number", in.CardNumber != nil},
		{"age_at_least", in.AgeAtLeast != nil}, {"resides_in", in.ResidesIn != nil}, {"alive", in.Alive != nil}} {
		if q.set {
			out = append(out, q.name)
		}
	}
	return out
}

// sealed is an answer whose audit entry commits to it (answer.go): its
// body, to send as it is, and its evidence id.
type sealed struct {
	// render makes the body, given the evidence id and the answer; row is
	// a batch's row number, 0 outside a batch.
	render func(id string, out oidc.VerifyResponse) []byte
	row    int
	body   []byte
	id     string
}

// verifyRow answers one verification of a call: the right must grant each
// question, the consent must cover them. With seal, the answer's entry
// commits to the answer's JSON, kept in seal.
func (x *Exchange) verifyRow(r *http.Request, c *call, in oidc.VerifyRequest, seal *sealed) (oidc.VerifyResponse, error) {
	ctx := r.Context()
	in.Purpose = c.purpose.Code
	asked := questions(&in)
	// Whether the person is alive is answered only when asked (alive,
	// which the right and the consent must cover): a match of the other
	// fields must not tell it (reason 400).
	in.StatusHidden = in.Alive == nil
	var refused []string
	for _, q := range asked {
		if !slices.Contains(c.right.Fields, q) {
			refused = append(refused, q)
		}
	}
	if len(refused) > 0 {
		return oidc.VerifyResponse{}, x.refuse(ctx, c, ActionVerify, in.PIN, problem.New(problem.Forbidden, "%s may not verify %s (granted: %s)", c.p.Username, strings.Join(refused, ", "), strings.Join(c.right.Fields, ", ")))
	}
	if _, _, err := pin.Parse(in.PIN); err != nil {
		return oidc.VerifyResponse{}, problem.Field("pin", "%v", err)
	}
	ckey := in.PIN + "\x00" + strings.Join(asked, ",")
	if rs := c.repeats; rs != nil && rs.consent[ckey] != nil {
		return oidc.VerifyResponse{}, x.refuse(ctx, c, ActionVerify, in.PIN, rs.consent[ckey])
	}
	consent, err := x.consent(ctx, c, in.PIN, asked)
	if err != nil {
		if rs := c.repeats; rs != nil && problem.Is(err, problem.Forbidden) {
			rs.consent[ckey] = err
		}
		return oidc.VerifyResponse{}, x.refuse(ctx, c, ActionVerify, in.PIN, err)
	}
	if x.verifier == nil {
		return oidc.VerifyResponse{}, problem.New(problem.Unavailable, "verification is not available (the OpenID provider is off)")
	}
	out, err := x.verifier.VerifyFor(ctx, c.p, in, func(e audit.Entry, out oidc.VerifyResponse) audit.Entry {
		e.Action = string(ActionVerify)
		if c.h.UserID != "" {
			e.Detail += "; official " + c.h.UserID
		}
		if seal != nil {
			seal.id = newEvidenceID(in.PIN)
			seal.body = seal.render(seal.id, out)
			if seal.row > 0 {
				e.Detail = joinDetail(e.Detail, batchRowPrefix+strconv.Itoa(seal.row))
			}
			e.Detail = joinDetail(e.Detail, answerDetail(seal.id, seal.body))
		}
		return e.For(c.h.Issue, c.h.Basis, consent).Disclosing(asked...)
	})
	if problem.Is(err, problem.RateLimited) {
		// Beyond the questions about one person a day (a date of birth
		// is not guessed row by row): refused, and recorded as such.
		return out, x.refuse(ctx, c, ActionVerify, in.PIN, err)
	}
	return out, err
}

// verifyOne is POST …/verify: one yes/no verification (the body of
// POST /api/v1/verify, its purpose the X-Road-Issue).
func (x *Exchange) verifyOne(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return problem.New(problem.MethodNotAllowed, "the verification is POST /r1/%s/verify", Platform)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return problem.New(problem.TooLarge, "the verification request is larger than 16 KiB")
	}
	c.hash.Write(body)
	var in oidc.VerifyRequest
	if err := httpx.DecodeJSONBytes(body, &in); err != nil {
		return err // naming the field that is wrong
	}
	seal := sealed{render: func(_ string, out oidc.VerifyResponse) []byte {
		b, _ := json.Marshal(out) // a VerifyResponse always encodes
		return append(b, '\n')
	}}
	if _, err := x.verifyRow(r, c, in, &seal); err != nil {
		return err
	}
	w.Header().Set(HeaderEvidence, seal.id)
	c.setHash(w)
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(seal.body)
	return err
}

// MaxBatch is the most rows of one batch verification.
const MaxBatch = 10_000

// batchLimit is MaxBatch (lowered by tests).
var batchLimit = MaxBatch

// The exchange listener's limits on one request: reading it, headers and
// body, and answering it. A member's service has 30 s to answer a
// forwarded call; a batch verification moves both limits on as its rows
// come, each time to batchIdle ahead: a caller that sends no row, or
// reads no answer, for that long loses the connection.
const (
	ServerReadTimeout  = time.Minute
	ServerWriteTimeout = 2 * time.Minute
)

// batchIdle is how long a batch waits on its caller (shortened by tests).
var batchIdle = time.Minute

// batchRow is one answer of a batch (NDJSON).
type batchRow struct {
	Row         int             `json:"row"`
	Match       *bool           `json:"match,omitempty"`
	Fields      map[string]bool `json:"fields,omitempty"`
	Predicates  map[string]bool `json:"predicates,omitempty"`
	ReasonCodes []int           `json:"reason_codes,omitempty"`
	Error       *problem.Body   `json:"error,omitempty"`
	Evidence    string          `json:"evidence,omitempty"`
}

// verifyBatch is POST …/verify-batch: up to MaxBatch verifications, as
// NDJSON (a verification request a line) or CSV (a header row naming
// pin and the questions), answered row by row as they are read, in the
// same format; memory stays that of one row. X-Road-Request-Hash, known
// only at the end, is sent as a trailer.
func (x *Exchange) verifyBatch(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return problem.New(problem.MethodNotAllowed, "the batch verification is POST /r1/%s/verify-batch", Platform)
	}
	ct := r.Header.Get("Content-Type")
	isCSV := strings.HasPrefix(ct, "text/csv")
	if !isCSV && !strings.HasPrefix(ct, "application/x-ndjson") {
		return problem.New(problem.Unsupported, "send the batch as application/x-ndjson (a request a line) or text/csv")
	}
	rc := http.NewResponseController(w)
	c.repeats = newRefusalRepeats()
	defer x.recordRepeats(r.Context(), c)
	rc.EnableFullDuplex()
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	body := io.TeeReader(r.Body, c.hash)
	w.Header().Set("Trailer", HeaderRequestHash)
	w.Header().Set("Cache-Control", "no-store")
	next, err := batchRequests(isCSV, body)
	if err != nil {
		return err
	}
	// line is a row of the answer: the verification's, with its evidence
	// id, or the row's error.
	var line func(n int, out oidc.VerifyResponse, evidence string, err error) []byte
	bw := bufio.NewWriterSize(w, 32<<10)
	if isCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		line = func(n int, out oidc.VerifyResponse, evidence string, err error) []byte {
			rec := []string{strconv.Itoa(n), "", "", "", evidence}
			if err != nil {
				b := problem.BodyOf(err, "")
				rec[3] = b.Detail + reasonOf(err)
			} else {
				rec[1] = strconv.FormatBool(out.Match)
				var codes []string
				for _, c := range out.ReasonCodes {
					codes = append(codes, strconv.Itoa(c))
				}
				rec[2] = strings.Join(codes, " ")
			}
			buf.Reset()
			cw.Write(rec)
			cw.Flush()
			return slices.Clone(buf.Bytes())
		}
		bw.WriteString("row,match,reason_codes,error,evidence\n")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		line = func(n int, out oidc.VerifyResponse, evidence string, err error) []byte {
			row := batchRow{Row: n, Evidence: evidence}
			if err != nil {
				b := problem.BodyOf(err, "")
				row.Error = &b
			} else {
				row.Match, row.Fields, row.Predicates, row.ReasonCodes = &out.Match, out.Fields, out.Predicates, out.ReasonCodes
			}
			b, _ := json.Marshal(row) // a batchRow always encodes
			return append(b, '\n')
		}
	}
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	// The listener's limits on a request's reading and answering
	// (ServerReadTimeout, ServerWriteTimeout) move on while the rows
	// come: a batch may take long, a caller may not stall it.
	moved := time.Time{}
	for n := 1; ; n++ {
		if now := time.Now(); now.Sub(moved) > batchIdle/4 {
			rc.SetReadDeadline(now.Add(batchIdle))
			rc.SetWriteDeadline(now.Add(batchIdle))
			moved = now
		}
		in, ok, err := next()
		if !ok {
			break
		}
		if n > batchLimit {
			bw.Write(line(n, oidc.VerifyResponse{}, "", problem.New(problem.TooLarge, "a batch holds at most %d rows; the rest is ignored", batchLimit)))
			break
		}
		if ok, retry := x.rows.allow(c.p.Username, x.now()); !ok {
			err := x.refuse(r.Context(), c, ActionVerify, "", problem.New(problem.RateLimited,
				"%s had more than %d batch rows verified this minute; the rest is ignored (again in %d s)", c.p.Username, x.rows.max, retry))
			bw.Write(line(n, oidc.VerifyResponse{}, "", err))
			break
		}
		// A row's answer is sealed as the line sent, its evidence id in it.
		seal := sealed{row: n, render: func(id string, out oidc.VerifyResponse) []byte { return line(n, out, id, nil) }}
		if err == nil {
			_, err = x.verifyRow(r, c, in, &seal)
		}
		if err != nil {
			seal.body = line(n, oidc.VerifyResponse{}, "", err)
		}
		if _, werr := bw.Write(seal.body); werr != nil {
			return nil
		}
		if err != nil && (problem.KindOf(err) == problem.Internal || problem.KindOf(err) == problem.Unavailable) {
			break
		}
		// Each answer goes out as soon as it is made: a caller may send
		// the next rows only after reading the first answers.
		bw.Flush()
		rc.Flush()
	}
	bw.Flush()
	// The rest of a batch cut short is read and dropped (within the body's
	// limit): the connection stays usable, and the hash covers it all.
	io.Copy(io.Discard, body)
	w.Header().Set(HeaderRequestHash, sum(c.hash))
	return nil
}

// maxBatchLine is the longest line of a batch, CSV or NDJSON (bytes).
const maxBatchLine = 16 << 10

// errLongLine is lineLimit's error.
var errLongLine = errors.New("a line is longer than 16 KiB")

// lineLimit reads r, failing at a record longer than max bytes: one CSV
// field cannot hold the whole body in memory. A newline inside quotes
// (a quoted field's) does not end the record; "" inside quotes toggles
// twice, as it should.
type lineLimit struct {
	r       io.Reader
	max, n  int
	inQuote bool
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '"' {
			l.inQuote = !l.inQuote
		}
		if b == '\n' && !l.inQuote {
			l.n = 0
		} else if l.n++; l.n > l.max {
			return i, errLongLine
		}
	}
	return n, err
}

// batchRequests reads a batch's body, CSV (a header row naming pin and
// the questions) or NDJSON (a verification request a line): next returns
// the next row's request, false at the end, or the row's error (the
// reading goes on after it, but for an NDJSON line over 16 KiB, which ends
// the batch). A CSV header it cannot use is the error.
func batchRequests(isCSV bool, body io.Reader) (next func() (oidc.VerifyRequest, bool, error), err error) {
	if isCSV {
		cr := csv.NewReader(&lineLimit{r: body, max: maxBatchLine})
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			return nil, problem.Field("body", "the CSV has no header row")
		}
		cols := slices.Clone(header)
		if !slices.Contains(cols, "pin") {
			return nil, problem.Field("body", "the CSV header must name a pin column")
		}
		for i, h := range cols {
			if h != "pin" && !slices.Contains(VerifyFields, h) {
				return nil, problem.Field("body", "unknown column %q (pin, %s)", h, strings.Join(VerifyFields, ", "))
			}
			if slices.Contains(cols[:i], h) {
				// Which would count? A single request refuses a field given
				// twice; so does a batch.
				return nil, problem.Field("body", "the CSV header names the column %q more than once", h)
			}
		}
		failed := false // a line too long or a body cut short: one row says it, then the batch ends
		return func() (oidc.VerifyRequest, bool, error) {
			if failed {
				return oidc.VerifyRequest{}, false, nil
			}
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return oidc.VerifyRequest{}, false, nil
			}
			var pe *csv.ParseError
			if err != nil && !errors.As(err, &pe) || errors.Is(err, errLongLine) {
				failed = true
				return oidc.VerifyRequest{}, true, problem.Field("body", "%v (a line is at most 16 KiB; the rest of the batch is not read)", err)
			}
			if err != nil {
				return oidc.VerifyRequest{}, true, problem.Field("body", "%v", err)
			}
			return csvRequest(cols, rec)
		}, nil
	}
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 4<<10), maxBatchLine)
	failed := false // a scanner stops at its first error: one row says it, then the batch ends
	return func() (oidc.VerifyRequest, bool, error) {
		if failed {
			return oidc.VerifyRequest{}, false, nil
		}
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			// Read as a single request's body is: a field given twice, an
			// unknown one, a wrong type or trailing data refused, named.
			var in oidc.VerifyRequest
			if err := httpx.DecodeJSONBytes(line, &in); err != nil {
				return in, true, problem.Field("body", "not a verification request: %s", rowReason(err))
			}
			return in, true, nil
		}
		if err := sc.Err(); err != nil {
			failed = true
			return oidc.VerifyRequest{}, true, problem.Field("body", "%v (a line is at most 16 KiB; the rest of the batch is not read)", err)
		}
		return oidc.VerifyRequest{}, false, nil
	}, nil
}

// rowReason says in words what a line's JSON is wrong in: the fields and
// why, or the problem's detail.
func rowReason(err error) string {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	if len(pe.Fields) == 0 {
		return pe.Detail
	}
	var parts []string
	for _, f := range pe.Fields {
		parts = append(parts, f.Field+" "+f.Reason)
	}
	return strings.Join(parts, "; ")
}

// csvRequest is a CSV row as a verification request.
func csvRequest(cols, rec []string) (oidc.VerifyRequest, bool, error) {
	var in oidc.VerifyRequest
	var f problem.Fields
	for i, col := range cols {
		if i >= len(rec) || rec[i] == "" {
			continue
		}
		v := rec[i]
		switch col {
		case "pin":
			in.PIN = v
		case "full_name":
			in.FullName = &v
		case "birth_date":
			d, err := civil.ParseDate(v)
			if err != nil {
				f.Add("birth_date", "%v", err)
			}
			in.BirthDate = &d
		case "card_number":
			in.CardNumber = &v
		case "address":
			unit, detail, _ := strings.Cut(v, "|")
			in.Address = &people.Address{Unit: unit, Detail: detail}
		case "age_at_least":
			n, err := strconv.Atoi(v)
			if err != nil {
				f.Add("age_at_least", "must be a number")
			}
			in.AgeAtLeast = &n
		case "resides_in":
			in.ResidesIn = &v
		case "alive":
			b, err := strconv.ParseBool(v)
			if err != nil {
				f.Add("alive", "must be true or false")
			}
			in.Alive = &b
		}
	}
	return in, true, f.Err()
}

// meta answers X-Road's REST metadata calls on a provider.
func (x *Exchange) meta(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		return problem.New(problem.MethodNotAllowed, "metadata calls are GET")
	}
	provider := c.target.Service.Provider
	svcs, err := x.Services(ctx, provider.String())
	if err != nil {
		return err
	}
	c.known = len(svcs) > 0
	c.setHash(w)
	switch c.target.Meta {
	case "getOpenAPI":
		code := r.URL.Query().Get("serviceCode")
		for _, s := range svcs {
			if strings.HasSuffix(s.ID, "/"+code) && code != "" {
				w.Header().Set("Content-Type", "application/json")
				_, err := w.Write(s.OpenAPI)
				return err
			}
		}
		return problem.Field("serviceCode", "no service %q of %s", code, provider)
	case "allowedMethods":
		rights, err := x.Rights(ctx, c.p.Username)
		if err != nil {
			return err
		}
		svcs = slices.DeleteFunc(svcs, func(s Service) bool {
			return !slices.ContainsFunc(rights, func(r Right) bool { return r.Service == s.ID })
		})
	}
	type endpoint struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	}
	type service struct {
		ObjectType    string     `json:"object_type"`
		XRoadInstance string     `json:"xroad_instance"`
		MemberClass   string     `json:"member_class"`
		MemberCode    string     `json:"member_code"`
		SubsystemCode string     `json:"subsystem_code"`
		ServiceCode   string     `json:"service_code"`
		ServiceType   string     `json:"service_type"`
		EndpointList  []endpoint `json:"endpoint_list"`
	}
	out := struct {
		Service []service `json:"service"`
	}{Service: []service{}}
	for _, s := range svcs {
		id, _ := ParseService(s.ID)
		e := []endpoint{}
		for _, m := range s.Methods {
			e = append(e, endpoint(m))
		}
		out.Service = append(out.Service, service{"SERVICE", id.Provider.Instance, id.Provider.Class, id.Provider.Member, id.Provider.Subsystem, id.Code, "OPENAPI3", e})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

// listClients is GET /listClients: the members and subsystems of the
// exchange (X-Road's JSON form).
func (x *Exchange) listClients(w http.ResponseWriter, r *http.Request) error {
	ms, ss, err := x.Members(r.Context())
	if err != nil {
		return err
	}
	type id struct {
		ObjectType    string `json:"object_type"`
		XRoadInstance string `json:"xroad_instance"`
		MemberClass   string `json:"member_class"`
		MemberCode    string `json:"member_code"`
		SubsystemCode string `json:"subsystem_code,omitempty"`
	}
	type member struct {
		ID   id     `json:"id"`
		Name string `json:"name"`
	}
	out := struct {
		Member []member `json:"member"`
	}{Member: []member{}}
	names := map[string]string{}
	for _, m := range ms {
		if !m.RevokedAt.IsZero() {
			continue
		}
		names[m.ID] = m.Name
		inst, class, code, _ := ParseMember(m.ID)
		out.Member = append(out.Member, member{id{"MEMBER", inst, class, code, ""}, m.Name})
	}
	for _, s := range ss {
		name, ok := names[s.Member]
		if !s.RevokedAt.IsZero() || !ok {
			continue
		}
		sid, _ := ParseSubsystem(s.ID)
		out.Member = append(out.Member, member{id{"SUBSYSTEM", sid.Instance, sid.Class, sid.Member, sid.Subsystem}, name})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
