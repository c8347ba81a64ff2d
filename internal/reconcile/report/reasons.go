package report

import (
	"regexp"
	"strings"
)

// reasonForms are the forms of the reasons the engine gives its decisions
// (engine/match.go), each with the message that says it in the report's
// language; the submatches are its arguments, as written (numbers, line
// numbers, a register status).
var reasonForms = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^no register record shares a blocking key$`), "report.reason.no_candidate"},
	{regexp.MustCompile(`^one-to-one: every candidate is assigned to another record; the best to the record on line (\d+) \(a duplicate\?\)$`), "report.reason.all_assigned_line"},
	{regexp.MustCompile(`^one-to-one: every candidate is assigned to another record$`), "report.reason.all_assigned"},
	{regexp.MustCompile(`^one-to-one: the best candidate is assigned to the record on line (\d+) \(a duplicate\?\)$`), "report.reason.best_assigned"},
	{regexp.MustCompile(`^(\d+) candidates within ([\d.]+) bits of the best$`), "report.reason.close_candidates"},
	{regexp.MustCompile(`^the next candidate is only ([\d.]+) bits below the best: probability ([\d.e+-]+) against all candidates, below the threshold (\S+)$`), "report.reason.next_close"},
	{regexp.MustCompile(`^best candidate's probability (\S+) is below the threshold (\S+)$`), "report.reason.below_threshold"},
	{regexp.MustCompile(`^best candidate's probability (\S+) is below the review floor (\S+)$`), "report.reason.below_floor"},
	{regexp.MustCompile(`^one-to-one: the person is assigned to the record on line (\d+), which has a higher weight \(a duplicate\?\)$`), "report.reason.person_assigned"},
	{regexp.MustCompile(`^matched on one of the person's other names \(tên gọi khác\)$`), "report.reason.other_name"},
	{regexp.MustCompile(`^register status: (\S+)$`), "report.reason.status"},
	{regexp.MustCompile(`^the record's PIN is another candidate's$`), "report.reason.pin_of_another"},
}

// reason says a decision's reason in the report's language: the whole
// reason, or each of its parts ("; "), where they have a known form; a
// reason of another form (a record the engine could not read) is kept as
// written, and english says so.
func (r *renderer) reason(s string) (text string, english bool) {
	if s == "" {
		return "", false
	}
	if t, ok := r.reasonPart(s); ok {
		return t, false
	}
	parts := strings.Split(s, "; ")
	for i, p := range parts {
		t, ok := r.reasonPart(p)
		if !ok {
			return s, r.lang != "en"
		}
		parts[i] = t
	}
	return strings.Join(parts, "; "), false
}

func (r *renderer) reasonPart(s string) (string, bool) {
	for _, f := range reasonForms {
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			args[i] = a
		}
		if f.key == "report.reason.status" {
			args[0] = r.opt("report.status."+m[1], m[1])
		}
		if t, ok := r.cat.Lookup(r.lang, f.key, args...); ok {
			return t, true
		}
	}
	return "", false
}
