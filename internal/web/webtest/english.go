package webtest

import (
	"html"
	"regexp"
	"strings"
)

var (
	// dropped are what an officer does not read as the page's prose: the
	// scripts and styles, what is marked as English (lang="en": a record
	// kept as written), identifiers shown as codes (class "mono": a
	// username, a PIN), and the language switch, which names English.
	dropped = []*regexp.Regexp{
		regexp.MustCompile(`(?s)<script\b.*?</script>`),
		regexp.MustCompile(`(?s)<style\b.*?</style>`),
		regexp.MustCompile(`(?s)<(span|td|code|p|a|dd|div)\b[^>]*\blang="en"[^>]*>.*?</(span|td|code|p|a|dd|div)>`),
		regexp.MustCompile(`(?s)<(span|td|code|a|dd)\b[^>]*\bclass="[^"]*\bmono\b[^"]*"[^>]*>.*?</(span|td|code|a|dd)>`),
		regexp.MustCompile(`(?s)<nav class="lang-switch".*?</nav>`),
	}
	tag = regexp.MustCompile(`(?s)<[^>]*>`)
	// englishWords are words of English prose that Vietnamese text never
	// holds as words of its own.
	englishWords = regexp.MustCompile(`(?i)\b(the|is|of|and|must|with|are|has|was|this|that|your|you|not|cannot|should|from|which|been|have|found|within|reach|already|married|deceased|valid|invalid|required|field|error|page)\b`)
	// rawCodes are the internal codes a page must name in words: audit
	// actors (staff:…, system:…) and actions (person.read, event.birth).
	rawCodes = regexp.MustCompile(`\b(staff|system|citizen|client|member):[a-z0-9._-]+|\b(person\.read|register\.search|audit\.read|staff\.[a-z.]+|event\.[a-z_]+|reconcile\.[a-z]+)\b`)
)

// Text returns the text of a page an officer reads as prose: without tags,
// scripts, what is marked English and identifiers shown as codes.
func Text(page string) string {
	for _, re := range dropped {
		page = re.ReplaceAllString(page, " ")
	}
	return html.UnescapeString(tag.ReplaceAllString(page, " "))
}

// Untranslated returns the English words and the raw codes in the prose of
// a Vietnamese page (Text), each with a little of its context: a page in
// Vietnamese must have none.
func Untranslated(page string) []string {
	text := strings.Join(strings.Fields(Text(page)), " ")
	var out []string
	for _, re := range []*regexp.Regexp{englishWords, rawCodes} {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			from, to := max(0, loc[0]-40), min(len(text), loc[1]+40)
			for from > 0 && !utf8Start(text[from]) {
				from--
			}
			for to < len(text) && !utf8Start(text[to]) {
				to++
			}
			out = append(out, "…"+text[from:to]+"…")
		}
	}
	return out
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
