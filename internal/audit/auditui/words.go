package auditui

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/staff"
)

// Actor is a staff account as the audit log's page names it: by name, role
// and unit, not by its audit ID ("staff:registrar.badinh").
type Actor struct {
	Name string
	Role auth.Role
	Unit string
}

// Accounts finds the staff accounts of the usernames that have one, in one
// lookup for the whole page; *staff.Store is one.
type Accounts interface {
	ByUsernames(ctx context.Context, usernames []string) ([]staff.Account, error)
}

var _ Accounts = (*staff.Store)(nil)

// actorsOf returns the accounts of usernames as the page names them.
func actorsOf(ctx context.Context, a Accounts, usernames []string) (map[string]Actor, error) {
	accounts, err := a.ByUsernames(ctx, usernames)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Actor, len(accounts))
	for _, x := range accounts {
		out[x.Username] = Actor{Name: x.DisplayName, Role: x.Role, Unit: x.Unit}
	}
	return out, nil
}

// consoleActor is the audit actor of the server's console.
const consoleActor = staff.ConsoleActor

// who is an actor or subject of an entry as the page shows it.
type who struct {
	ID      string // the audit ID, shown (as a code) only when nothing better is known
	Actor   *Actor
	Console bool
	Staff   string // the username of a staff ID with no account (a failed sign-in)
	// Kind and Name split another principal's ID (citizen, client,
	// member, system, anonymous): its kind said in words, its name kept.
	Kind, Name string
}

// IsNamedKind reports whether the page names an actor of kind in words
// (audit.kind.<kind>): every principal's kind but staff (named by name),
// and the anonymous.
func IsNamedKind(kind string) bool {
	return kind == "anonymous" || kind != string(auth.KindStaff) && slices.Contains(auth.Kinds, auth.Kind(kind))
}

// row is an entry as the page shows it.
type row struct {
	audit.View
	Who     who
	Subject who // the account an entry is about, for staff.* entries
	What    string
	Detail  string
	// DetailCode marks a detail that is an identifier (an event's ID),
	// DetailEnglish one the page has no words for, kept as recorded.
	DetailCode, DetailEnglish bool
}

// words turns entries into rows in lang: actions in words, accounts by
// name, details translated where they follow a known form.
type words struct {
	cat    *i18n.Catalog
	lang   string
	actors map[string]Actor
}

// staffName returns the username of a staff audit ID.
func staffName(id string) (string, bool) { return strings.CutPrefix(id, string(auth.KindStaff)+":") }

// usernames returns the staff usernames the entries name, as actors or as
// subjects, once each.
func usernames(entries []audit.View) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		for _, id := range []string{e.Actor, e.Subject} {
			if u, ok := staffName(id); ok && u != "" && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

func (w words) who(id string) who {
	if id == consoleActor {
		return who{ID: id, Console: true}
	}
	if u, ok := staffName(id); ok && w.actors != nil {
		if a, ok := w.actors[u]; ok {
			return who{ID: id, Actor: &a}
		}
		return who{ID: id, Staff: u}
	}
	kind, name, _ := strings.Cut(id, ":")
	if IsNamedKind(kind) {
		return who{ID: id, Kind: kind, Name: name}
	}
	return who{ID: id}
}

// Action returns an audit action in words: the audit page's own message,
// else the message the catalog has under the action's name (a civil event,
// "event.birth", named by the register's pages), else "".
func (w words) Action(a string) string {
	if m, ok := w.cat.Lookup(w.lang, "audit.action."+a); ok {
		return m
	}
	if m, ok := w.cat.Lookup(w.lang, a); ok {
		return m
	}
	return ""
}

// detailForms are the forms of the details the platform records, each with
// the message that says it in words; a submatch that is a unit, a role or a
// scope is named too (see detail).
var detailForms = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^unit (\S+)$`), "audit.detail.unit"},
	{regexp.MustCompile(`^role (\S+)$`), "audit.detail.role"},
	{regexp.MustCompile(`^scope (\S+)$`), "audit.detail.scope"},
	{regexp.MustCompile(`^no such \w+$`), "audit.detail.no_such"},
	{regexp.MustCompile(`^search, (\d+) results$`), "audit.detail.search"},
	{regexp.MustCompile(`^household (\S+)$`), "audit.detail.household"},
	{regexp.MustCompile(`^answer to event (\S+)$`), "audit.detail.answer"},
	{regexp.MustCompile(`^job of unit (\S+)$`), "audit.detail.job_unit"},
	{regexp.MustCompile(`^refused by a rule: `), "audit.detail.rule"},
	{regexp.MustCompile(`^rate limit: `), "audit.detail.rate_limit"},
	{regexp.MustCompile(`^files deleted$`), "audit.detail.files_deleted"},
	{regexp.MustCompile(`^cancelled$`), "audit.detail.cancelled"},
	{regexp.MustCompile(`^security events$`), "audit.detail.security_events"},
	{regexp.MustCompile(`^temporary$`), "audit.detail.temporary"},
	{regexp.MustCompile(`^nothing to unlock$`), "audit.detail.nothing_to_unlock"},
	{regexp.MustCompile(`^the username or password is wrong$`), "audit.detail.bad_credentials"},
	{regexp.MustCompile(`^the account is disabled$`), "audit.detail.disabled"},
	{regexp.MustCompile(`^throttled: too many attempts at this account from this address$`), "audit.detail.throttled_account_address"},
	{regexp.MustCompile(`^throttled: too many attempts at this account$`), "audit.detail.throttled_account"},
	{regexp.MustCompile(`^throttled: too many attempts from this address$`), "audit.detail.throttled_address"},
	{regexp.MustCompile(`^([a-z_]+)@(VN|\d{2}|\d{5})$`), "audit.detail.assignment"},
	// The electronic identity's and the OpenID provider's.
	{regexp.MustCompile(`^wrong password$`), "audit.detail.wrong_password"},
	{regexp.MustCompile(`^no such account$`), "audit.detail.no_account"},
	{regexp.MustCompile(`^wrong code$`), "audit.detail.wrong_code"},
	{regexp.MustCompile(`^no code pending$`), "audit.detail.no_code"},
	{regexp.MustCompile(`^locked by the holder: login (\d+) reported as not theirs$`), "audit.detail.not_me"},
	{regexp.MustCompile(`^locked by the holder: (.+)$`), "audit.detail.locked_by_holder_why"},
	{regexp.MustCompile(`^locked by the holder$`), "audit.detail.locked_by_holder"},
	{regexp.MustCompile(`^card number differs from the register$`), "audit.detail.card_differs"},
	{regexp.MustCompile(`^death registered$`), "audit.detail.death_registered"},
	{regexp.MustCompile(`^account (pending|locked|revoked|recovering)$`), "audit.detail.account_state"},
	{regexp.MustCompile(`^code sent to (\S+)$`), "audit.detail.code_sent"},
	{regexp.MustCompile(`^client (\S+) granted (.+)$`), "audit.detail.granted"},
	{regexp.MustCompile(`^client (\S+): declined$`), "audit.detail.declined"},
}

// detail returns the detail in words, and whether it is a code (an ID)
// or kept as recorded, in English.
func (w words) detail(d string, unit func(string) string) (text string, code, english bool) {
	if d == "" {
		return "", false, false
	}
	for _, f := range detailForms {
		m := f.re.FindStringSubmatch(d)
		if m == nil {
			continue
		}
		var args []any
		switch f.key {
		case "audit.detail.unit", "audit.detail.job_unit":
			args = []any{unit(m[1])}
		case "audit.detail.role":
			args = []any{w.cat.T(w.lang, "role."+m[1])}
		case "audit.detail.scope":
			args = []any{w.cat.T(w.lang, "audit.scope."+m[1])}
		case "audit.detail.search":
			n, _ := strconv.Atoi(m[1])
			args = []any{n}
		case "audit.detail.household", "audit.detail.answer", "audit.detail.not_me", "audit.detail.code_sent", "audit.detail.declined", "audit.detail.locked_by_holder_why":
			args = []any{m[1]}
		case "audit.detail.account_state":
			args = []any{w.cat.T(w.lang, "audit.account_state."+m[1])}
		case "audit.detail.granted":
			args = []any{m[1], m[2]}
		case "audit.detail.assignment":
			args = []any{w.cat.T(w.lang, "role."+m[1]), unit(m[2])}
		}
		if s, ok := w.cat.Lookup(w.lang, f.key, args...); ok {
			return s, false, false
		}
	}
	if !strings.ContainsRune(d, ' ') {
		return d, true, false
	}
	return d, false, w.lang != i18n.English
}

// rows makes the page's rows of entries.
func (w words) rows(entries []audit.View, unit func(string) string) []row {
	out := make([]row, len(entries))
	for i, e := range entries {
		r := row{View: e, Who: w.who(e.Actor), What: w.Action(e.Action)}
		if _, ok := staffName(e.Subject); ok {
			r.Subject = w.who(e.Subject)
		}
		r.Detail, r.DetailCode, r.DetailEnglish = w.detail(e.Detail, unit)
		out[i] = r
	}
	return out
}
