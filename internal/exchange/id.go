package exchange

import (
	"fmt"
	"net/url"
	"strings"
)

// Identifiers follow X-Road: a member is INSTANCE/CLASS/MEMBER
// ("VN/COM/VCB"), a subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM
// ("VN/COM/VCB/EKYC"), a service its provider's subsystem and a service
// code ("VN/GOV/BCA/C06-REGISTER/person"). Each part is 1 to 64 letters,
// digits, '.', '-', '_' or ':' (X-Road forbids '/', '\', ';', '%' and
// control characters in identifiers; Populus keeps to a narrower set).

// Member classes known to the platform.
var Classes = []string{"GOV", "COM", "NGO", "EDU", "HEALTH"}

// SubsystemID is a subsystem's identifier, split.
type SubsystemID struct {
	Instance, Class, Member, Subsystem string
}

func (s SubsystemID) String() string {
	return s.Instance + "/" + s.Class + "/" + s.Member + "/" + s.Subsystem
}

// MemberID is the member part: INSTANCE/CLASS/MEMBER.
func (s SubsystemID) MemberID() string { return s.Instance + "/" + s.Class + "/" + s.Member }

// ServiceID is a service's identifier: its provider and code.
type ServiceID struct {
	Provider SubsystemID
	Code     string
}

func (s ServiceID) String() string { return s.Provider.String() + "/" + s.Code }

// idErr is an error kept as its English format and arguments
// (problem.Formatted: an identifier's, a key's), so that the
// administrators' pages show it in their language.
type idErr struct {
	format string
	args   []any
}

func (e *idErr) Error() string               { return fmt.Sprintf(e.format, e.args...) }
func (e *idErr) FormatArgs() (string, []any) { return e.format, e.args }

func idError(format string, args ...any) error { return &idErr{format, args} }

// idWord names a part of an identifier in its errors (translated too).
type idWord string

func (w idWord) FormatArgs() (string, []any) { return string(w), nil }

// part checks one part of an identifier.
func part(what idWord, s string) error {
	if s == "" {
		return idError("%s is empty", what)
	}
	if len(s) > 64 {
		return idError("%s is longer than 64 characters", what)
	}
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == ':':
		default:
			return idError("%s %q holds %q: use letters, digits, '.', '-', '_' or ':'", what, s, c)
		}
	}
	return nil
}

func checkClass(c string) error {
	for _, k := range Classes {
		if c == k {
			return nil
		}
	}
	return idError("member class %q is not one of %s", c, strings.Join(Classes, ", "))
}

// ParseMember parses INSTANCE/CLASS/MEMBER.
func ParseMember(s string) (instance, class, member string, err error) {
	p := strings.Split(s, "/")
	if len(p) != 3 {
		return "", "", "", idError("%q is not INSTANCE/CLASS/MEMBER", truncate(s))
	}
	for i, what := range []idWord{idWord("instance"), idWord("member class"), idWord("member code")} {
		if err := part(what, p[i]); err != nil {
			return "", "", "", err
		}
	}
	if err := checkClass(p[1]); err != nil {
		return "", "", "", err
	}
	return p[0], p[1], p[2], nil
}

// ParseSubsystem parses INSTANCE/CLASS/MEMBER/SUBSYSTEM.
func ParseSubsystem(s string) (SubsystemID, error) {
	p := strings.Split(s, "/")
	if len(p) != 4 {
		return SubsystemID{}, idError("%q is not INSTANCE/CLASS/MEMBER/SUBSYSTEM", truncate(s))
	}
	return subsystemOf(p)
}

func subsystemOf(p []string) (SubsystemID, error) {
	for i, what := range []idWord{idWord("instance"), idWord("member class"), idWord("member code"), idWord("subsystem code")} {
		if err := part(what, p[i]); err != nil {
			return SubsystemID{}, err
		}
	}
	if err := checkClass(p[1]); err != nil {
		return SubsystemID{}, err
	}
	return SubsystemID{p[0], p[1], p[2], p[3]}, nil
}

// ParseService parses INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE.
func ParseService(s string) (ServiceID, error) {
	p := strings.Split(s, "/")
	if len(p) != 5 {
		return ServiceID{}, idError("%q is not INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE", truncate(s))
	}
	sub, err := subsystemOf(p[:4])
	if err != nil {
		return ServiceID{}, err
	}
	if err := part(idWord("service code"), p[4]); err != nil {
		return ServiceID{}, err
	}
	return ServiceID{sub, p[4]}, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Metadata services of X-Road's REST metadata protocol, called on a
// provider: GET /r1/{provider}/listMethods, allowedMethods, getOpenAPI.
var metaServices = map[string]bool{"listMethods": true, "allowedMethods": true, "getOpenAPI": true}

// Target is what an /r1/ path names: a service of a provider with the path
// below it, or a metadata call on a provider.
type Target struct {
	Service ServiceID
	// Meta is the metadata call ("listMethods", …), Service.Code empty.
	Meta string
	// Rest is the path after the service id, with its leading '/' ("" when
	// none).
	Rest string
}

// ParsePath parses an X-Road REST path: /r1/{serviceId}[/path] where
// serviceId is INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE, or
// /r1/{provider}/{metadata call}. The path is the request's escaped path:
// each part is percent-decoded on its own (an encoded '/' stays inside its
// part, and is refused there).
func ParsePath(escaped string) (Target, error) {
	rest, ok := strings.CutPrefix(escaped, "/r1/")
	if !ok {
		return Target{}, fmt.Errorf("the path must start with /r1/ (the X-Road REST protocol's version)")
	}
	raw := strings.SplitN(rest, "/", 6)
	if len(raw) < 5 {
		return Target{}, fmt.Errorf("the path must name a service: /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE[/path]")
	}
	p := make([]string, 5)
	for i := range 5 {
		s, err := url.PathUnescape(raw[i])
		if err != nil {
			return Target{}, fmt.Errorf("part %d of the service id is not percent-encoded UTF-8", i+1)
		}
		p[i] = s
	}
	sub, err := subsystemOf(p[:4])
	if err != nil {
		return Target{}, err
	}
	var t Target
	if len(raw) == 6 {
		t.Rest = "/" + raw[5]
	}
	if metaServices[p[4]] {
		if t.Rest != "" && t.Rest != "/" {
			return Target{}, fmt.Errorf("the metadata call %s takes no path", p[4])
		}
		return Target{Service: ServiceID{Provider: sub}, Meta: p[4]}, nil
	}
	if err := part(idWord("service code"), p[4]); err != nil {
		return Target{}, err
	}
	t.Service = ServiceID{sub, p[4]}
	return t, nil
}
