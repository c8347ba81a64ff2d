package sector

import (
	"fmt"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
)

// Field is a register field that a sector column can be mapped to.
type Field uint8

// The fields a mapping may name. A name is given whole (FieldFullName) or
// in parts; a date of birth as a date (FieldBirthDate) or as a year column.
const (
	FieldID         Field = iota + 1 // the sector's own record key
	FieldFullName                    // họ và tên, family name first
	FieldFamilyName                  // họ
	FieldMiddleName                  // tên đệm
	FieldGivenName                   // tên
	FieldBirthDate                   // ngày sinh; format YYYY-MM-DD, DD/MM/YYYY, MM/YYYY or YYYY
	FieldBirthYear                   // năm sinh
	FieldSex                         // giới tính; format declares numeric codes, e.g. 1=M/0=F
	FieldPIN                         // số định danh cá nhân (12 digits)
	FieldCMND                        // số chứng minh nhân dân (9 digits)
	FieldProvince                    // code or name; format "old" for pre-2025 codes
	FieldCommune                     // code or name; format "old" for pre-2025 codes
	FieldAddress                     // free text
	FieldPhone                       // phone number
	numFields
)

var fieldNames = [numFields]string{"", "id", "full_name", "family_name", "middle_name", "given_name",
	"birth_date", "birth_year", "sex", "pin", "cmnd", "province", "commune", "address", "phone"}

// String returns the field's name as written in a mapping: "birth_date".
func (f Field) String() string {
	if f == 0 || f >= numFields {
		return fmt.Sprintf("Field(%d)", uint8(f))
	}
	return fieldNames[f]
}

// Fields returns every field in order.
func Fields() []Field {
	fs := make([]Field, 0, numFields-1)
	for f := Field(1); f < numFields; f++ {
		fs = append(fs, f)
	}
	return fs
}

// ParseField returns the field with the given name (case-insensitive).
func ParseField(name string) (Field, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for f := Field(1); f < numFields; f++ {
		if fieldNames[f] == name {
			return f, true
		}
	}
	return 0, false
}

// Date formats of FieldBirthDate. Whatever the format, a bare year (and,
// for the day-first and year-first forms, a month and year) is read as the
// partial date it is.
const (
	FormatISO      = "YYYY-MM-DD"
	FormatVN       = "DD/MM/YYYY"
	FormatUS       = "MM/DD/YYYY" // month first, as spreadsheets set to US English write dates
	FormatYear     = "YYYY"
	FormatMonthVN  = "MM/YYYY"
	FormatOldUnits = "old" // province and commune codes of the pre-2025 system
	FormatNewUnits = "new" // the current system; the default
)

// Entry maps one field to one column.
type Entry struct {
	Field  Field
	Column string
	Format string // as written, or "" for the default
	Line   int    // line of the mapping text it was read from
	sex    [10]civil.Sex
}

// Mapping says which sector column holds each register field. Build it
// with ParseMapping.
type Mapping struct {
	entries []Entry
}

// Entries returns the mapping's entries in the order written.
func (m *Mapping) Entries() []Entry { return append([]Entry(nil), m.entries...) }

// Entry returns the entry for a field.
func (m *Mapping) Entry(f Field) (Entry, bool) {
	for _, e := range m.entries {
		if e.Field == f {
			return e, true
		}
	}
	return Entry{}, false
}

// String returns the mapping in its one-line text form, which ParseMapping
// reads back to the same mapping.
func (m *Mapping) String() string {
	var b strings.Builder
	for i, e := range m.entries {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.Field.String())
		b.WriteByte('=')
		b.WriteString(quoteColumn(e.Column))
		if e.Format != "" {
			b.WriteByte(':')
			b.WriteString(e.Format)
		}
	}
	return b.String()
}

// quoteColumn quotes a column name that the mapping syntax would misread.
func quoteColumn(c string) string {
	if c != strings.TrimSpace(c) || strings.ContainsAny(c, "\",:#=\n\r") {
		return `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
	}
	return c
}

// MappingError is a mistake in a mapping. Line is the line of the mapping
// text (0 for a one-line mapping); Field names the field at fault when
// there is one.
type MappingError struct {
	Line  int
	Field string
	Msg   string
}

func (e *MappingError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("mapping line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseMapping reads a mapping of sector columns to register fields:
// entries field=COLUMN or field=COLUMN:FORMAT, separated by commas or
// newlines; '#' starts a comment that runs to the end of the line. A column
// name holding a comma, colon, '#', '=' or a quote, or surrounded by spaces,
// is written in double quotes with inner quotes doubled. Field names are
// those of Fields, in any case. For example:
//
//	full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH:1=M/0=F,
//	pin=SO_DINH_DANH, province=TINH:old, id=MA_HO_SO
//
// Formats: birth_date takes YYYY-MM-DD, DD/MM/YYYY, MM/YYYY or YYYY
// (default: any of them, year first or day first by shape); sex takes codes
// such as 1=M/0=F or 1=Nam/2=Nữ for numeric columns (M/F, Nam/Nữ are always
// understood); province and commune take "old" when bare codes are of the
// pre-2025 system (default "new"). Other fields take no format.
func ParseMapping(text string) (*Mapping, error) {
	multiline := strings.ContainsAny(strings.TrimSpace(text), "\n\r")
	m := &Mapping{}
	line := 1
	lineOf := func(l int) int {
		if multiline {
			return l
		}
		return 0
	}
	seen := map[Field]int{}
	for len(text) > 0 {
		entry, rest, next, err := cutEntry(text, line)
		if err != nil {
			err.Line = lineOf(err.Line)
			return nil, err
		}
		entLine := line
		text, line = rest, next
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		e, err := parseEntry(entry)
		if err != nil {
			err.Line = lineOf(entLine)
			return nil, err
		}
		e.Line = lineOf(entLine)
		if prev, dup := seen[e.Field]; dup {
			where := ""
			if multiline {
				where = fmt.Sprintf(" (lines %d and %d)", prev, entLine)
			}
			return nil, &MappingError{Line: e.Line, Field: e.Field.String(),
				Msg: fmt.Sprintf("the mapping names field %s twice%s; map each field to one column", e.Field, where)}
		}
		seen[e.Field] = entLine
		m.entries = append(m.entries, e)
	}
	if len(m.entries) == 0 {
		return nil, &MappingError{Msg: "the mapping is empty; map at least one field to a column, e.g. full_name=HO_TEN"}
	}
	return m, nil
}

// cutEntry splits off the first entry (up to a comma, line break or
// comment outside quotes). It returns the entry, the rest of the text, and
// the line number at which the rest begins.
func cutEntry(text string, line int) (entry, rest string, next int, err *MappingError) {
	quoted := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' || c == '\r':
			if quoted {
				return "", "", line, &MappingError{Line: line, Msg: "a quoted column name runs past the end of the line; close the quote"}
			}
			return text[:i], text[afterBreak(text, i):], line + 1, nil
		case quoted:
		case c == ',':
			return text[:i], text[i+1:], line, nil
		case c == '#':
			j := strings.IndexAny(text[i:], "\r\n")
			if j < 0 {
				return text[:i], "", line, nil
			}
			return text[:i], text[afterBreak(text, i+j):], line + 1, nil
		}
	}
	if quoted {
		return "", "", line, &MappingError{Line: line, Msg: "a quoted column name is not closed"}
	}
	return text, "", line, nil
}

// afterBreak returns the index after the line break (\n, \r or \r\n) at i.
func afterBreak(text string, i int) int {
	if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
		return i + 2
	}
	return i + 1
}

func parseEntry(s string) (Entry, *MappingError) {
	name, spec, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return Entry{}, &MappingError{Field: name, Msg: fmt.Sprintf("entry %q has no '='; write field=COLUMN, e.g. full_name=HO_TEN", s)}
	}
	f, ok := ParseField(name)
	if !ok {
		return Entry{}, &MappingError{Field: name, Msg: unknownField(name)}
	}
	col, format, err := cutColumn(strings.TrimSpace(spec))
	if err != "" {
		return Entry{}, &MappingError{Field: f.String(), Msg: fmt.Sprintf("field %s: %s", f, err)}
	}
	if col == "" {
		return Entry{}, &MappingError{Field: f.String(), Msg: fmt.Sprintf("field %s names no column; write %s=COLUMN", f, f)}
	}
	e := Entry{Field: f, Column: col, Format: format}
	if msg := e.setFormat(); msg != "" {
		return Entry{}, &MappingError{Field: f.String(), Msg: fmt.Sprintf("field %s: %s", f, msg)}
	}
	return e, nil
}

func unknownField(name string) string {
	known := strings.Join(fieldNames[1:], ", ")
	msg := fmt.Sprintf("the mapping names an unknown field '%s'; known fields: %s", name, known)
	squash := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(s))
	}
	for _, k := range fieldNames[1:] {
		if squash(k) == squash(name) {
			msg += fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	return msg
}

// cutColumn reads a column name, quoted or not, and the format after ':'.
func cutColumn(s string) (col, format, errMsg string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			break
		}
		if i >= len(s) {
			return "", "", "the quoted column name is not closed"
		}
		rest := strings.TrimSpace(s[i+1:])
		if rest != "" && rest[0] != ':' {
			return "", "", fmt.Sprintf("unexpected %q after the quoted column name", rest)
		}
		if rest != "" {
			format = strings.TrimSpace(rest[1:])
		}
		return b.String(), format, ""
	}
	col, format, _ = strings.Cut(s, ":")
	col, format = strings.TrimSpace(col), strings.TrimSpace(format)
	if strings.Contains(col, `"`) {
		return "", "", fmt.Sprintf("column name %q holds a quote; quote the whole name and double the inner quote", col)
	}
	return col, format, ""
}

// setFormat checks the format for the field and prepares it.
func (e *Entry) setFormat() string {
	switch e.Field {
	case FieldBirthDate:
		switch strings.ToUpper(e.Format) {
		case "", FormatISO, FormatVN, FormatUS, FormatYear, FormatMonthVN:
			e.Format = strings.ToUpper(e.Format)
			return ""
		}
		return fmt.Sprintf("date format %q is not one of %s, %s, %s, %s, %s", e.Format, FormatISO, FormatVN, FormatUS, FormatMonthVN, FormatYear)
	case FieldBirthYear:
		if e.Format == "" || strings.EqualFold(e.Format, FormatYear) {
			e.Format = strings.ToUpper(e.Format)
			return ""
		}
		return fmt.Sprintf("format %q: a birth year column takes no format but YYYY", e.Format)
	case FieldProvince, FieldCommune:
		switch strings.ToLower(e.Format) {
		case "", FormatNewUnits, FormatOldUnits:
			e.Format = strings.ToLower(e.Format)
			return ""
		}
		return fmt.Sprintf("format %q is not %q (pre-2025 codes) or %q (current codes)", e.Format, FormatOldUnits, FormatNewUnits)
	case FieldSex:
		return e.setSexCodes()
	}
	if e.Format != "" {
		return fmt.Sprintf("format %q: this field takes no format", e.Format)
	}
	return ""
}

// setSexCodes reads codes like 1=M/0=F or 1=Nam/2=Nữ.
func (e *Entry) setSexCodes() string {
	if e.Format == "" {
		return ""
	}
	var parts []string
	for _, p := range strings.Split(e.Format, "/") {
		code, word, ok := strings.Cut(p, "=")
		code, word = strings.TrimSpace(code), strings.TrimSpace(word)
		if !ok || len(code) != 1 || code[0] < '0' || code[0] > '9' {
			return fmt.Sprintf("sex codes %q: write digit=sex pairs separated by '/', e.g. 1=M/0=F", e.Format)
		}
		s, err := civil.ParseSex(word)
		if err != nil {
			return fmt.Sprintf("sex codes %q: %q is not M, F, Nam or Nữ", e.Format, word)
		}
		if e.sex[code[0]-'0'] != civil.SexUnknown {
			return fmt.Sprintf("sex codes %q: code %s is given twice", e.Format, code)
		}
		e.sex[code[0]-'0'] = s
		parts = append(parts, code+"="+s.String())
	}
	e.Format = strings.Join(parts, "/")
	return ""
}
