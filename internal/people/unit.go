package people

import (
	"strings"

	"github.com/populus-vn/populus/internal/units"
)

// ResponsibleUnit is the commune whose officers answer for a person: where
// they live permanently, else where they are now, else where they stay
// temporarily, else where their birth was registered. A pre-2025 unit
// ("old:…", as on old birth records) is replaced by its successor. The
// register stores it with the person (resp_unit), so that reads and searches
// decide reach by the same rule.
func ResponsibleUnit(p *Person) string {
	for _, u := range []string{p.Permanent.Unit, p.Current.Unit, p.Temporary.Unit, p.BirthPlace} {
		if u == "" {
			continue
		}
		if strings.HasPrefix(u, units.LegacyPrefix) {
			if s, ok := units.Default().Successor(u); ok {
				return s.Code
			}
		}
		return u
	}
	return ""
}
