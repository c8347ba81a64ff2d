package units

import (
	"strings"
	"testing"
)

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"01", "00004", "old:15", "old:015", "old:00004", "001", "", "old:", " 79 ", "old:old:01", "٠١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if (len(k.Code) != 2 && len(k.Code) != 5) || !digits(k.Code) {
			t.Fatalf("ParseKey(%q) = %+v: bad code", s, k)
		}
		if k.Legacy != strings.HasPrefix(strings.TrimSpace(s), LegacyPrefix) {
			t.Fatalf("ParseKey(%q) = %+v: legacy flag does not follow the prefix", s, k)
		}
		back, err := ParseKey(k.String())
		if err != nil || back != k {
			t.Fatalf("ParseKey(%q) = %+v does not round-trip: %+v, %v", s, k, back, err)
		}
		// Lookups accept anything ParseKey does, without panicking.
		r := Default()
		if u, ok := r.Lookup(s); ok && u.Key() != k {
			t.Fatalf("Lookup(%q) = %v, key %v", s, u, k)
		}
		r.Successor(s)
		r.Predecessors(s)
		r.LookupLegacyProvince(s)
	})
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{"ba dinh", "Phường Ba Đình", "P. Ba Đình", "TP.HCM", "Tịnh Biên", "Cư M’gar", "xa ", "p ", "\xff", "đ", "1"} {
		f.Add(s, 5)
	}
	r := Default()
	f.Fuzz(func(t *testing.T, q string, limit int) {
		limit %= 50
		for _, search := range []func(string, int) []Unit{r.Search, r.SearchLegacy} {
			got := search(q, limit)
			if len(got) > max(limit, 0) {
				t.Fatalf("Search(%q, %d) returned %d units", q, limit, len(got))
			}
			nq := normalize(q)
			_, stripped := stripType(nq)
			seen := map[Unit]bool{}
			for _, u := range got {
				if seen[u] {
					t.Fatalf("Search(%q) returned %v twice", q, u)
				}
				seen[u] = true
				if !matches(r, u, nq) && !matches(r, u, stripped) {
					t.Fatalf("Search(%q) returned %v, which does not contain %q", q, u, nq)
				}
			}
		}
	})
}

// matches reports whether a name or alias of u contains the normalized query.
func matches(r *Registry, u Unit, nq string) bool {
	if nq == "" {
		return false
	}
	if strings.Contains(normalize(u.Name), nq) {
		return true
	}
	i, _ := r.find(u.Key())
	for j := i; j >= 0 && r.units[j].Key() == u.Key(); j-- {
		for _, a := range r.aliases[j] {
			if strings.Contains(normalize(a), nq) {
				return true
			}
		}
	}
	return false
}
