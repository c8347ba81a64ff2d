package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/textfold"
)

// Member is an organisation of the exchange.
type Member struct {
	ID   string `json:"id"` // INSTANCE/CLASS/MEMBER
	Name string `json:"name"`
	// Unit is the administrative unit it is attached to ("VN", a
	// province, a commune): an administrator manages the members within
	// reach.
	Unit      string    `json:"unit_code"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Subsystem is a system of a member that calls or provides services.
type Subsystem struct {
	ID        string    `json:"id"` // INSTANCE/CLASS/MEMBER/SUBSYSTEM
	Member    string    `json:"member_id"`
	Name      string    `json:"name"`
	HasKey    bool      `json:"has_key"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Purpose is why a member system may access a person's data: its code (the
// X-Road-Issue header), its legal bases, whether the citizen's consent is
// needed (the law does not mandate the access) and whether an officer
// must be named (X-Road-UserId).
type Purpose struct {
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	LegalBases      []string `json:"legal_bases"`
	ConsentRequired bool     `json:"consent_required"`
	OfficerRequired bool     `json:"officer_required"`
}

// Service is a service of the catalogue: a built-in register service or a
// member's own REST service (BaseURL), with the fields it can disclose and
// its OpenAPI description.
type Service struct {
	ID      string          `json:"id"` // provider/code
	Title   string          `json:"title"`
	Fields  []string        `json:"fields"`
	Methods []Endpoint      `json:"endpoints"`
	BaseURL string          `json:"base_url,omitempty"`
	OpenAPI json.RawMessage `json:"-"`
}

// Endpoint is a method and path of a service (X-Road's endpoint_list).
type Endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Right lets a subsystem call a service, disclosing Fields, for Purposes.
type Right struct {
	Subsystem string   `json:"subsystem_id"`
	Service   string   `json:"service_id"`
	Fields    []string `json:"fields"`
	Purposes  []string `json:"purposes"`
}

var errGone = problem.New(problem.NotFound, "no such member, subsystem or service")

func isoNow(t time.Time) string { return db.FormatTime(t.UTC()) }

func validName(s string) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	return n > 0 && n <= 200 && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || textfold.Invisible(r) })
}

// AddMember registers a member.
func (x *Exchange) AddMember(ctx context.Context, m Member) (Member, error) {
	var f problem.Fields
	inst, class, code, err := ParseMember(m.ID)
	if err != nil {
		f.Add("id", "%v", err)
	}
	if !validName(m.Name) {
		f.Add("name", "must have 1 to 200 characters")
	}
	if m.Unit == "" {
		m.Unit = "VN"
	}
	if m.Unit != "VN" && (len(m.Unit) != 2 && len(m.Unit) != 5) || x.guard != nil && !x.guard.Policy.Known(m.Unit) {
		f.Add("unit_code", "must be VN, a province code or a commune code")
	}
	if err := f.Err(); err != nil {
		return Member{}, err
	}
	m.Name, m.CreatedAt = strings.TrimSpace(m.Name), x.now().UTC()
	_, err = x.db.ExecContext(ctx, `INSERT INTO exchange_members (id, instance, class, code, name, unit_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, inst, class, code, m.Name, m.Unit, isoNow(m.CreatedAt))
	if db.IsUniqueViolation(err) {
		return Member{}, problem.Field("id", "member %s exists already", m.ID)
	}
	return m, err
}

// AddSubsystem registers a subsystem of an existing member; jwk, if not
// empty, is its public key for client assertions (a JSON Web Key).
func (x *Exchange) AddSubsystem(ctx context.Context, id, name string, jwk []byte) (Subsystem, error) {
	sid, err := checkSubsystem(id, name, jwk)
	if err != nil {
		return Subsystem{}, err
	}
	s := Subsystem{ID: id, Member: sid.MemberID(), Name: strings.TrimSpace(name), HasKey: len(jwk) > 0, CreatedAt: x.now().UTC()}
	var revoked string
	err = x.db.QueryRowContext(ctx, `SELECT revoked_at FROM exchange_members WHERE id = $1`, s.Member).Scan(&revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked != "" {
		return Subsystem{}, problem.Field("id", "member %s is not registered (or is revoked)", s.Member)
	} else if err != nil {
		return Subsystem{}, err
	}
	_, err = x.db.ExecContext(ctx, `INSERT INTO exchange_subsystems (id, member_id, code, name, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.Member, sid.Subsystem, s.Name, string(jwk), isoNow(s.CreatedAt))
	if db.IsUniqueViolation(err) {
		return Subsystem{}, problem.Field("id", "subsystem %s exists already", id)
	}
	return s, err
}

// CheckSubsystemParts checks what a new subsystem's form holds besides its
// member: its code (the id's last part, named "id"), name and key, every
// error at once, as AddSubsystem would.
func CheckSubsystemParts(code, name string, jwk []byte) error {
	var f problem.Fields
	if err := part(idWord("subsystem code"), code); err != nil {
		f.Add("id", "%v", err)
	}
	checkNameAndKey(&f, name, jwk)
	return f.Err()
}

// checkSubsystem checks a new subsystem's id, name and key, every error
// at once.
func checkSubsystem(id, name string, jwk []byte) (SubsystemID, error) {
	var f problem.Fields
	sid, err := ParseSubsystem(id)
	if err != nil {
		f.Add("id", "%v", err)
	}
	checkNameAndKey(&f, name, jwk)
	return sid, f.Err()
}

// checkNameAndKey adds to f what is wrong with a subsystem's name and its
// key (optional).
func checkNameAndKey(f *problem.Fields, name string, jwk []byte) {
	if !validName(name) {
		f.Add("name", "must have 1 to 200 characters")
	}
	if len(jwk) > 0 {
		if err := checkJWK(jwk); err != nil {
			f.Add("public_jwk", "%v", err)
		}
	}
}

// checkJWK accepts a public signing key: EC P-256/P-384, RSA of 2048 bits
// or more, or Ed25519.
func checkJWK(b []byte) error {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(b); err != nil {
		return idError("is not a JSON Web Key: %s", joseReason(err))
	}
	if !k.Valid() || !k.IsPublic() {
		return idError("must be a valid public key")
	}
	return nil
}

// SetKey registers (or replaces) a subsystem's public key.
func (x *Exchange) SetKey(ctx context.Context, id string, jwk []byte) error {
	if err := checkJWK(jwk); err != nil {
		return problem.Field("public_jwk", "%v", err)
	}
	res, err := x.db.ExecContext(ctx, `UPDATE exchange_subsystems SET public_jwk = $1 WHERE id = $2 AND revoked_at = ''`, string(jwk), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errGone
	}
	return nil
}

// Revoke revokes a member (with its subsystems) or a subsystem, with its
// certificates and tokens, at once: the next request of its systems is
// refused.
func (x *Exchange) Revoke(ctx context.Context, id string) error {
	if IsPlatform(id) {
		return problem.Field("id", "%s is the platform's own, which provides the register's services: it cannot be revoked", id)
	}
	now := isoNow(x.now())
	defer x.live.Invalidate()
	return x.db.InTx(ctx, func(tx *sql.Tx) error {
		var subs []string
		if strings.Count(id, "/") == 2 {
			res, err := tx.ExecContext(ctx, `UPDATE exchange_members SET revoked_at = $1 WHERE id = $2 AND revoked_at = ''`, now, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errGone
			}
			rows, err := tx.QueryContext(ctx, `SELECT id FROM exchange_subsystems WHERE member_id = $1`, id)
			subs, err = db.Collect(rows, err, func(s db.Scanner) (string, error) { var v string; return v, s.Scan(&v) })
			if err != nil {
				return err
			}
		} else {
			subs = []string{id}
		}
		for _, s := range subs {
			res, err := tx.ExecContext(ctx, `UPDATE exchange_subsystems SET revoked_at = $1 WHERE id = $2 AND revoked_at = ''`, now, s)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 && len(subs) == 1 && strings.Count(id, "/") != 2 {
				return errGone
			}
			for _, q := range []string{`UPDATE exchange_certificates SET revoked_at = $1 WHERE subsystem_id = $2 AND revoked_at = ''`,
				`UPDATE exchange_tokens SET revoked_at = $1 WHERE subsystem_id = $2 AND revoked_at = ''`} {
				if _, err := tx.ExecContext(ctx, q, now, s); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Members lists the members, with their subsystems.
func (x *Exchange) Members(ctx context.Context) ([]Member, []Subsystem, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT id, name, unit_code, created_at, revoked_at FROM exchange_members ORDER BY id`)
	ms, err := db.Collect(rows, err, func(s db.Scanner) (Member, error) {
		var m Member
		var revoked string
		err := s.Scan(&m.ID, &m.Name, &m.Unit, db.Time{T: &m.CreatedAt}, &revoked)
		if err == nil && revoked != "" {
			m.RevokedAt, err = db.ParseTime(revoked)
		}
		return m, err
	})
	if err != nil {
		return nil, nil, err
	}
	rows, err = x.db.QueryContext(ctx, `SELECT id, member_id, name, public_jwk <> '', created_at, revoked_at FROM exchange_subsystems ORDER BY id`)
	ss, err := db.Collect(rows, err, func(s db.Scanner) (Subsystem, error) {
		var m Subsystem
		var revoked string
		err := s.Scan(&m.ID, &m.Member, &m.Name, &m.HasKey, db.Time{T: &m.CreatedAt}, &revoked)
		if err == nil && revoked != "" {
			m.RevokedAt, err = db.ParseTime(revoked)
		}
		return m, err
	})
	return ms, ss, err
}

// OrganisationOf names the member behind an audit actor
// ("member:VN/COM/VCB/EKYC"), for "who used my data".
func (x *Exchange) OrganisationOf(ctx context.Context, actor string) (string, bool) {
	id, ok := strings.CutPrefix(actor, string(auth.KindMember)+":")
	if !ok {
		return "", false
	}
	sid, err := ParseSubsystem(id)
	if err != nil {
		return "", false
	}
	var name string
	if err := x.db.QueryRowContext(ctx, `SELECT name FROM exchange_members WHERE id = $1`, sid.MemberID()).Scan(&name); err != nil {
		return "", false
	}
	return name, true
}

// AddPurpose adds or replaces a purpose of the catalogue.
func (x *Exchange) AddPurpose(ctx context.Context, p Purpose) error {
	var f problem.Fields
	if err := part("code", p.Code); err != nil {
		f.Add("code", "%v", err)
	}
	if !validName(p.Name) {
		f.Add("name", "must have 1 to 200 characters")
	}
	if len(p.LegalBases) == 0 {
		f.Add("legal_bases", "name at least one legal basis")
	}
	for _, b := range p.LegalBases {
		if n := utf8.RuneCountInString(b); n == 0 || n > 300 || strings.ContainsAny(b, "\n\r") {
			f.Add("legal_bases", "each must have 1 to 300 characters on one line")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	defer x.invalidate()
	return x.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM exchange_purposes WHERE code = $1`, p.Code); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO exchange_purposes (code, name, legal_bases, consent_required, officer_required) VALUES ($1, $2, $3, $4, $5)`,
			p.Code, p.Name, strings.Join(p.LegalBases, "\n"), boolInt(p.ConsentRequired), boolInt(p.OfficerRequired))
		return err
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Purpose returns a purpose of the catalogue.
func (x *Exchange) Purpose(ctx context.Context, code string) (Purpose, error) {
	var p Purpose
	var bases string
	var consent, officer int
	err := x.db.QueryRowContext(ctx, `SELECT code, name, legal_bases, consent_required, officer_required FROM exchange_purposes WHERE code = $1`, code).
		Scan(&p.Code, &p.Name, &bases, &consent, &officer)
	if errors.Is(err, sql.ErrNoRows) {
		return p, problem.New(problem.NotFound, "no purpose %q in the catalogue", code)
	}
	p.LegalBases, p.ConsentRequired, p.OfficerRequired = strings.Split(bases, "\n"), consent == 1, officer == 1
	return p, err
}

// Purposes lists the catalogue of purposes.
func (x *Exchange) Purposes(ctx context.Context) ([]Purpose, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT code FROM exchange_purposes ORDER BY code`)
	codes, err := db.Collect(rows, err, func(s db.Scanner) (string, error) { var v string; return v, s.Scan(&v) })
	if err != nil {
		return nil, err
	}
	out := make([]Purpose, 0, len(codes))
	for _, c := range codes {
		p, err := x.Purpose(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// fieldName is a field a service discloses: it travels in a header
// (X-Populus-Fields) and in the rights' lists.
var fieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// AddService adds a service to the catalogue, provided by a registered
// subsystem; openAPI is its description (OpenAPI 3, JSON).
// A member's service has the base URL its calls are forwarded to; the
// register's own (IsBuiltin) are answered by the platform.
func (x *Exchange) AddService(ctx context.Context, s Service) error {
	var f problem.Fields
	if _, err := ParseService(s.ID); err != nil {
		f.Add("id", "%v", err)
	}
	if !validName(s.Title) {
		f.Add("title", "must have 1 to 200 characters")
	}
	if len(s.Fields) == 0 || len(s.Fields) > maxServiceFields {
		f.Add("fields", "name 1 to %d fields the service can disclose", maxServiceFields)
	}
	if len(s.Methods) > maxEndpoints {
		f.Add("endpoints", "are more than %d", maxEndpoints)
	}
	for _, x := range s.Fields {
		if !fieldName.MatchString(x) {
			f.Add("fields", "%q is not a field name: a letter, then up to 63 letters, digits, _, . or -", truncate(x))
			break
		}
	}
	if s.BaseURL == "" && !IsBuiltin(s.ID) {
		f.Add("base_url", "is required: the member's service the calls are forwarded to")
	}
	for _, e := range s.Methods {
		if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, e.Method) || !strings.HasPrefix(e.Path, "/") {
			f.Add("endpoints", "each needs a method (GET, POST, PUT, PATCH, DELETE) and a path starting with /")
			break
		}
	}
	if len(s.BaseURL) > 2048 {
		f.Add("base_url", "is longer than %d bytes", 2048)
	} else if s.BaseURL != "" && !webURL(s.BaseURL) {
		f.Add("base_url", "must be https (http only on loopback)")
	} else if s.BaseURL != "" && x.egress != nil {
		if err := x.egress.CheckURL(s.BaseURL); err != nil {
			f.Add("base_url", "%v", err)
		}
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if len(s.OpenAPI) > MaxOpenAPI {
		f.Add("openapi", "is %d bytes: at most %d", len(s.OpenAPI), MaxOpenAPI)
	} else if len(s.OpenAPI) == 0 || json.Unmarshal(s.OpenAPI, &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		f.Add("openapi", "must be an OpenAPI 3 description in JSON")
	}
	if err := f.Err(); err != nil {
		return err
	}
	sid, _ := ParseService(s.ID)
	var revoked string
	switch err := x.db.QueryRowContext(ctx, `SELECT revoked_at FROM exchange_subsystems WHERE id = $1`, sid.Provider.String()).Scan(&revoked); {
	case errors.Is(err, sql.ErrNoRows):
		return problem.Field("id", "the provider %s is not a registered subsystem", sid.Provider)
	case err != nil:
		return err
	case revoked != "":
		return problem.Field("id", "the provider %s is revoked", sid.Provider)
	}
	defer x.invalidate()
	methods, _ := json.Marshal(s.Methods)
	_, err := x.db.ExecContext(ctx, `INSERT INTO exchange_services (id, provider_id, code, title, fields, methods, base_url, openapi, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.ID, sid.Provider.String(), sid.Code, s.Title, strings.Join(s.Fields, ","), string(methods), s.BaseURL, string(s.OpenAPI), isoNow(x.now()))
	switch {
	case db.IsUniqueViolation(err):
		return problem.Field("id", "service %s exists already", s.ID)
	case db.IsForeignKey(err):
		return problem.Field("id", "the provider %s is not a registered subsystem", sid.Provider)
	}
	return err
}

// MaxOpenAPI is the largest OpenAPI description of a service (bytes).
const MaxOpenAPI = 1 << 20

// maxServiceFields and maxEndpoints bound a service's fields and
// endpoints.
const maxServiceFields, maxEndpoints = 200, 200

// webURL reports whether raw is a base URL a member's service may have:
// https, or http on this machine's loopback (the demo, tests), with a
// host and no user name or password (which would hide the host).
func webURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	switch h := u.Hostname(); u.Scheme {
	case "https":
		return true
	case "http":
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}

// RemoveService takes a member's service out of the catalogue with every
// right on it, in one transaction, and returns how many rights went: its
// next call is refused (by a running server within the catalogue's
// lifetime, 2 seconds). The register's own services are the platform's
// and are not removed. The evidence of past exchanges is kept.
func (x *Exchange) RemoveService(ctx context.Context, id string) (rights int, err error) {
	if _, err := ParseService(id); err != nil {
		return 0, problem.Field("id", "%v", err)
	}
	if IsBuiltin(id) {
		return 0, problem.Field("id", "%s is one of the register's own services, which the platform provides", id)
	}
	defer x.invalidate()
	err = x.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM exchange_rights WHERE service_id = $1`, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		rights = int(n)
		if res, err = tx.ExecContext(ctx, `DELETE FROM exchange_services WHERE id = $1`, id); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no service %s in the catalogue", id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return rights, nil
}

// Entitled reports (nil) whether subsystem holds a right for purpose that
// grants every one of fields, on some service: the consent it asks a
// citizen for must be one it could use (consent.Entitlements).
func (x *Exchange) Entitled(ctx context.Context, subsystem, purpose string, fields []string) error {
	cat, err := x.catalogue(ctx)
	if err != nil {
		return err
	}
	var granted []string
	held := false
	for k, r := range cat.rights {
		if k[0] == subsystem && slices.Contains(r.Purposes, purpose) {
			held, granted = true, append(granted, consentFields(r.Service, r.Fields)...)
		}
	}
	if !held {
		return problem.Field("purpose", "%s holds no right for the purpose %s", subsystem, purpose)
	}
	for _, f := range fields {
		if !slices.Contains(granted, f) {
			return problem.Field("fields", "no right of %s grants %s for %s", subsystem, f, purpose)
		}
	}
	return nil
}

// consentFields are the names under which a consent covers the fields of
// service: a field of the register's own services by its name, one of a
// member's published service by the service's id, a colon and its name
// (VN/HEALTH/BV-DEMO/HIS/records:diagnosis). A consent to read a person's
// name in the register then covers no "full_name" of a hospital's records:
// a consent is to one source as much as to one recipient.
func consentFields(service string, fields []string) []string {
	if IsBuiltin(service) {
		return fields
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = service + ":" + f
	}
	return out
}

// IsPlatform reports whether id is the platform's member or subsystem
// (Platform), which provides the register's services.
func IsPlatform(id string) bool { return id == Platform || id == platformMember }

// platformMember is Platform's member.
var platformMember = func() string { sid, _ := ParseSubsystem(Platform); return sid.MemberID() }()

// IsBuiltin reports whether id is one of the register's own services.
func IsBuiltin(id string) bool {
	return slices.ContainsFunc(builtins, func(s Service) bool { return s.ID == id })
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func scanService(s db.Scanner) (Service, error) {
	var v Service
	var fields, methods, openapi string
	err := s.Scan(&v.ID, &v.Title, &fields, &methods, &v.BaseURL, &openapi)
	if err != nil {
		return v, err
	}
	v.Fields, v.OpenAPI = splitList(fields), json.RawMessage(openapi)
	return v, json.Unmarshal([]byte(methods), &v.Methods)
}

const serviceColumns = `id, title, fields, methods, base_url, openapi`

// Service returns a service of the catalogue.
func (x *Exchange) Service(ctx context.Context, id string) (Service, error) {
	s, err := scanService(x.db.QueryRowContext(ctx, `SELECT `+serviceColumns+` FROM exchange_services WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, problem.New(problem.NotFound, "no service %s in the catalogue", id)
	}
	return s, err
}

// Services lists the services of a provider ("" for all).
func (x *Exchange) Services(ctx context.Context, provider string) ([]Service, error) {
	q, args := `SELECT `+serviceColumns+` FROM exchange_services`, []any{}
	if provider != "" {
		q, args = q+` WHERE provider_id = $1`, append(args, provider)
	}
	rows, err := x.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	return db.Collect(rows, err, scanService)
}

// Grant gives a subsystem the right to call a service, disclosing fields
// (a subset of the service's), for purposes of the catalogue; it replaces
// an earlier grant of the same pair.
func (x *Exchange) Grant(ctx context.Context, r Right) error {
	var f problem.Fields
	svc, err := x.Service(ctx, r.Service)
	if err != nil {
		f.Add("service_id", "%v", err)
	}
	for _, fl := range r.Fields {
		if err == nil && !slices.Contains(svc.Fields, fl) {
			f.Add("fields", "%s is not a field of %s (%s)", fl, r.Service, strings.Join(svc.Fields, ", "))
		}
	}
	if err == nil && len(r.Fields) == 0 && len(svc.Fields) > 0 {
		// A right to no field would be checked against no consent.
		f.Add("fields", "name at least one of the fields of %s (%s)", r.Service, strings.Join(svc.Fields, ", "))
	}
	if len(r.Purposes) == 0 {
		f.Add("purposes", "name at least one purpose")
	}
	for _, p := range r.Purposes {
		if _, err := x.Purpose(ctx, p); err != nil {
			f.Add("purposes", "%v", err)
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	defer x.invalidate()
	return x.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM exchange_rights WHERE subsystem_id = $1 AND service_id = $2`, r.Subsystem, r.Service); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO exchange_rights (subsystem_id, service_id, fields, purposes, created_at) VALUES ($1, $2, $3, $4, $5)`,
			r.Subsystem, r.Service, strings.Join(r.Fields, ","), strings.Join(r.Purposes, ","), isoNow(x.now()))
		if db.IsForeignKey(err) {
			return problem.Field("subsystem_id", "%s is not a registered subsystem", r.Subsystem)
		}
		return err
	})
}

// WithdrawRight withdraws a subsystem's right on a service: this process
// refuses its next call, another within the catalogue's 2 s.
func (x *Exchange) WithdrawRight(ctx context.Context, subsystem, service string) error {
	defer x.invalidate()
	res, err := x.db.ExecContext(ctx, `DELETE FROM exchange_rights WHERE subsystem_id = $1 AND service_id = $2`, subsystem, service)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return problem.New(problem.NotFound, "%s has no right on %s", subsystem, service)
	}
	return nil
}

// Rights lists the rights of a subsystem ("" for all).
func (x *Exchange) Rights(ctx context.Context, subsystem string) ([]Right, error) {
	q, args := `SELECT subsystem_id, service_id, fields, purposes FROM exchange_rights`, []any{}
	if subsystem != "" {
		q, args = q+` WHERE subsystem_id = $1`, append(args, subsystem)
	}
	rows, err := x.db.QueryContext(ctx, q+` ORDER BY subsystem_id, service_id`, args...)
	return db.Collect(rows, err, func(s db.Scanner) (Right, error) {
		var r Right
		var fields, purposes string
		err := s.Scan(&r.Subsystem, &r.Service, &fields, &purposes)
		r.Fields, r.Purposes = splitList(fields), splitList(purposes)
		return r, err
	})
}

// Manage is the administrators' view: the members within p's reach with
// their subsystems, and the catalogue.
type Manage struct {
	Members    []Member
	Subsystems []Subsystem
	Services   []Service
	Purposes   []Purpose
	Rights     []Right
	// Certificates are those of the subsystems within reach, unexpired.
	Certificates []Certificate
}

// Overview returns what p may manage; refused (and audited) for a role
// without exchange.manage.
func (x *Exchange) Overview(ctx context.Context, p auth.Principal) (Manage, error) {
	if err := x.guard.Role(ctx, p, ManageExchange, ""); err != nil {
		return Manage{}, err
	}
	ms, ss, err := x.Members(ctx)
	if err != nil {
		return Manage{}, err
	}
	var out Manage
	for _, m := range ms {
		if x.guard.Policy.Allowed(p, ManageExchange, m.Unit) {
			out.Members = append(out.Members, m)
		}
	}
	for _, s := range ss {
		if slices.ContainsFunc(out.Members, func(m Member) bool { return m.ID == s.Member }) {
			out.Subsystems = append(out.Subsystems, s)
		}
	}
	if out.Services, err = x.Services(ctx, ""); err != nil {
		return out, err
	}
	if out.Purposes, err = x.Purposes(ctx); err != nil {
		return out, err
	}
	cs, err := x.Certificates(ctx, "")
	if err != nil {
		return out, err
	}
	now := x.now()
	for _, c := range cs {
		if c.NotAfter.After(now) && slices.ContainsFunc(out.Subsystems, func(s Subsystem) bool { return s.ID == c.Subsystem }) {
			out.Certificates = append(out.Certificates, c)
		}
	}
	out.Rights, err = x.Rights(ctx, "")
	return out, err
}

// AdminAddMember is AddMember for a staff administrator: the member's unit
// must be within p's reach; audited.
func (x *Exchange) AdminAddMember(ctx context.Context, p auth.Principal, m Member) (Member, error) {
	if m.Unit == "" {
		m.Unit = p.Unit
	}
	if err := x.guard.Check(ctx, p, ManageExchange, m.Unit, ""); err != nil {
		return Member{}, err
	}
	out, err := x.AddMember(ctx, m)
	if err != nil {
		return out, err
	}
	return out, x.audit.Record(ctx, audit.Of(p, ManageExchange, m.ID).With("member added: "+out.Name))
}

// AdminRevoke is Revoke for a staff administrator, on a member or
// subsystem of a member within reach; audited.
func (x *Exchange) AdminRevoke(ctx context.Context, p auth.Principal, id string) error {
	member := id
	if sid, err := ParseSubsystem(id); err == nil {
		member = sid.MemberID()
	}
	unit, ok, err := x.memberUnit(ctx, member)
	switch {
	case err != nil:
		return err
	case !ok:
		return errGone
	}
	if err := x.guard.Check(ctx, p, ManageExchange, unit, ""); err != nil {
		return err
	}
	if err := x.Revoke(ctx, id); err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, id).With("revoked"))
}

// checkMember checks that the member (by its id) is within p's reach for
// exchange.manage (audited as the guard does); an unknown member is a
// problem naming field.
func (x *Exchange) checkMember(ctx context.Context, p auth.Principal, member, field string) error {
	unit, ok, err := x.memberUnit(ctx, member)
	switch {
	case err != nil:
		return err
	case !ok:
		return problem.Field(field, "member %s is not registered", member)
	}
	return x.guard.Check(ctx, p, ManageExchange, unit, "")
}

// memberUnit is the administrative unit a member is attached to; false
// for no such member.
func (x *Exchange) memberUnit(ctx context.Context, member string) (string, bool, error) {
	var unit string
	err := x.db.QueryRowContext(ctx, `SELECT unit_code FROM exchange_members WHERE id = $1`, member).Scan(&unit)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return unit, err == nil, err
}

// AdminAddSubsystem is AddSubsystem for a staff administrator: the
// member's unit must be within p's reach; audited.
func (x *Exchange) AdminAddSubsystem(ctx context.Context, p auth.Principal, id, name string, jwk []byte) (Subsystem, error) {
	sid, err := checkSubsystem(id, name, jwk)
	if err != nil {
		return Subsystem{}, err
	}
	if err := x.checkMember(ctx, p, sid.MemberID(), "id"); err != nil {
		return Subsystem{}, err
	}
	s, err := x.AddSubsystem(ctx, id, name, jwk)
	if err != nil {
		return s, err
	}
	return s, x.audit.Record(ctx, audit.Of(p, ManageExchange, id).With("subsystem added: "+s.Name))
}

// AdminAddService is AddService for a staff administrator: the member
// providing the service must be within p's reach; audited.
func (x *Exchange) AdminAddService(ctx context.Context, p auth.Principal, s Service) error {
	if sid, err := ParseService(s.ID); err == nil {
		if err := x.checkMember(ctx, p, sid.Provider.MemberID(), "id"); err != nil {
			return err
		}
	}
	if err := x.AddService(ctx, s); err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, s.ID).With("service published: "+s.Title+" at "+s.BaseURL))
}

// AdminRemoveService is RemoveService for a staff administrator, within
// the reach of the member that provides the service; audited with the
// rights withdrawn.
func (x *Exchange) AdminRemoveService(ctx context.Context, p auth.Principal, id string) error {
	if err := x.checkProvider(ctx, p, id, "id"); err != nil {
		return err
	}
	n, err := x.RemoveService(ctx, id)
	if err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, id).With(fmt.Sprintf("service removed, %d rights on it withdrawn", n)))
}

// AdminGrant is Grant for a staff administrator. The right is the data
// owner's to give: the service's provider must be a member within p's
// reach (the register's services, the nation's); audited.
func (x *Exchange) AdminGrant(ctx context.Context, p auth.Principal, r Right) error {
	if err := x.checkProvider(ctx, p, r.Service, "service_id"); err != nil {
		return err
	}
	if err := x.Grant(ctx, r); err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, r.Subsystem).With(fmt.Sprintf("granted %s for %s: %s",
		r.Service, strings.Join(r.Purposes, ", "), strings.Join(r.Fields, ", "))))
}

// AdminWithdrawRight is WithdrawRight for a staff administrator, within
// the reach of the member that provides the service (as AdminGrant);
// audited.
func (x *Exchange) AdminWithdrawRight(ctx context.Context, p auth.Principal, subsystem, service string) error {
	if err := x.checkProvider(ctx, p, service, "service_id"); err != nil {
		return err
	}
	if err := x.WithdrawRight(ctx, subsystem, service); err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, subsystem).With("right withdrawn: "+service))
}

// checkProvider checks that the member providing service is within p's
// reach for exchange.manage: the data owner decides its rights.
// The service is named by field in a refusal.
func (x *Exchange) checkProvider(ctx context.Context, p auth.Principal, service, field string) error {
	sid, err := ParseService(service)
	if err != nil {
		return problem.Field(field, "%v", err)
	}
	return x.checkMember(ctx, p, sid.Provider.MemberID(), field)
}

// Provides reports whether the member providing service is among those
// m shows (within reach): its rights are the administrator's to give.
func (m Manage) Provides(service string) bool {
	sid, err := ParseService(service)
	return err == nil && slices.ContainsFunc(m.Members, func(x Member) bool { return x.ID == sid.Provider.MemberID() })
}

// Platform reports whether id is the platform's member or subsystem
// (IsPlatform), which the page does not offer to revoke.
func (Manage) Platform(id string) bool { return IsPlatform(id) }

// Removable reports whether the administrator m is for may remove the
// service: one of a member within reach, not built in.
func (m Manage) Removable(service string) bool { return m.Provides(service) && !IsBuiltin(service) }

// AdminIssueCertificate is IssueCertificate for a staff administrator (or
// IssueCertificateForCSR, given a signing request): the subsystem's member
// must be within p's reach; audited with the serial. A key made here is in
// the answer only: Populus does not keep it.
func (x *Exchange) AdminIssueCertificate(ctx context.Context, p auth.Principal, subsystem string, csrPEM []byte) (Issued, error) {
	sid, err := ParseSubsystem(subsystem)
	if err != nil {
		return Issued{}, problem.Field("subsystem", "%v", err)
	}
	if err := x.checkMember(ctx, p, sid.MemberID(), "subsystem"); err != nil {
		return Issued{}, err
	}
	var iss Issued
	if len(csrPEM) > 0 {
		iss, err = x.IssueCertificateForCSR(ctx, subsystem, csrPEM)
	} else {
		iss, err = x.IssueCertificate(ctx, subsystem)
	}
	if err != nil {
		return iss, err
	}
	return iss, x.audit.Record(ctx, audit.Of(p, ManageExchange, subsystem).With("certificate issued: serial "+iss.Serial))
}
