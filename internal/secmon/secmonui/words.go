package secmonui

import (
	"regexp"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/web"
)

// detailForms are the forms of the events' details (secmon's limiter and
// monitor), each with its message; the submatches are its arguments, a
// word (what was counted, a window, a role, a scope) said in words.
var detailForms = []struct {
	re    *regexp.Regexp
	key   string
	words map[int]string // submatch → prefix of the message that names it
}{
	{regexp.MustCompile(`^(people|searches) per (minute|hour) limit reached$`), "security.detail.rate_limit",
		map[int]string{1: "security.what.", 2: "security.window."}},
	{regexp.MustCompile(`^(\d+) distinct people read in the hour, ([\d.]+)× the median of (\d+) (\S+) accounts of (\S+) scope \((\d+)\)$`), "security.detail.outlier",
		map[int]string{4: "role.", 5: "security.scope."}},
}

// funcs are the page's template functions in one language.
func funcs(l web.Locale) map[string]any {
	return map[string]any{
		// eventDetail is an event's detail in words, and whether it had
		// to be kept as written (in English).
		"eventDetail": func(d string) detail {
			for _, f := range detailForms {
				m := f.re.FindStringSubmatch(d)
				if m == nil {
					continue
				}
				args := make([]any, len(m)-1)
				for i, a := range m[1:] {
					args[i] = a
					if prefix, ok := f.words[i+1]; ok {
						args[i] = l.T(prefix + a)
					}
				}
				return detail{Text: l.T(f.key, args...)}
			}
			return detail{Text: d, English: d != "" && l.Lang != "en"}
		},
		// account is the username of an account's audit ID.
		"account": func(actor string) string {
			return strings.TrimPrefix(actor, string(auth.KindStaff)+":")
		},
	}
}

type detail struct {
	Text    string
	English bool
}
