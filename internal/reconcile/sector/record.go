package sector

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/textfold"
	"github.com/populus-vn/populus/internal/vntext"
)

// Record is one row of a sector file, read through a Mapping: its raw
// values and what they were understood to say. A value that cannot be
// understood is left empty (missing) and a Note says why; sector data is
// dirty and one bad value must not lose the record.
type Record struct {
	Line int    // line of the file the row starts on
	ID   string // the sector's key for the record, trimmed

	FullName   string     // NFC, single-spaced; from full_name, else the parts joined
	FamilyName string     // from family_name, NFC, single-spaced
	MiddleName string     // from middle_name
	GivenName  string     // from given_name
	BirthDate  civil.Date // possibly partial (year, or month and year); zero when missing
	// BirthDigits are the YYYYMMDD digits of a birth date written with a
	// digit that makes it no date ("1985-90-16"); BirthDate is then zero.
	// They are compared with the register's dates one typing error apart.
	BirthDigits string
	Sex         civil.Sex
	PIN         string // 12 digits, nearly always passing pin.Parse (one that does not is noted: a typing error)
	CMND        string // 9 digits that pass pin.ParseCMND
	Province    string // unit key: "79" (current) or "old:74" (pre-2025)
	Commune     string // unit key: "26734" or "old:25747"
	// Communes are the units a commune name may mean when several
	// communes share it (without a province, or in the province given)
	// and Commune is empty: at most a few, evidence all the same.
	Communes []string
	Address  string // free text, NFC, single-spaced
	Phone    string // digits, national form: 0 and 9 or 10 more digits

	Notes []Note // what was wrong with the values, in field order

	raw [numFields]string
	// legacy is the legacy encoding that one of the record's text values
	// was found in (stored as Windows-1252 characters): the others are
	// read in it too.
	legacy vntext.Encoding
	// typed is the input method whose keystrokes one of the record's name
	// fields was found typed with: the others are read so too.
	typed vntext.Typing
}

// textFields are the fields of free text, which may be in a legacy
// encoding.
var textFields = []Field{FieldFullName, FieldFamilyName, FieldMiddleName, FieldGivenName, FieldAddress, FieldProvince, FieldCommune}

// Raw returns the value of a field's column as it was in the file, or ""
// when the field is not mapped.
func (r *Record) Raw(f Field) string {
	if f >= numFields {
		return ""
	}
	return r.raw[f]
}

// Note says what was wrong with one value of a record, or what was
// assumed to read it.
type Note struct {
	Field Field
	Msg   string
	// Unreadable marks a value that could not be read at all: the field
	// is left missing.
	Unreadable bool
}

func (n Note) String() string { return n.Field.String() + ": " + n.Msg }

func (r *Record) note(f Field, format string, args ...any) {
	r.Notes = append(r.Notes, Note{Field: f, Msg: fmt.Sprintf(format, args...)})
}

// unreadable notes a value that could not be read, and is left missing.
func (r *Record) unreadable(f Field, format string, args ...any) {
	r.Notes = append(r.Notes, Note{Field: f, Msg: fmt.Sprintf(format, args...), Unreadable: true})
}

// Reader reads the Records of a sector file through a mapping. It streams:
// memory does not depend on the number of rows.
type Reader struct {
	rows   Rows
	col    [numFields]int // column index of each field; -1 when unmapped
	ent    [numFields]Entry
	places *places
	units  map[string]resolved // memo of unit values: a file repeats few of them

	// ahead are the rows read ahead, once, before the first record, to
	// learn the order of day and month in the birth-date column; looked
	// is set once they are. dateFormat is the column's format as read:
	// the mapping's, or FormatUS when its dates show they are month-first
	// (dateNote says so).
	ahead      []aheadRow
	looked     bool
	dateFormat string
	dateNote   string
}

// aheadRow is a row read ahead, as Rows gave it.
type aheadRow struct {
	values []string
	line   int
	err    error
	enc    vntext.Encoding
}

// aheadRows is how many rows a reader reads ahead; minMonthFirst is how
// many dates that can only be month-first make the column month-first,
// when at most one in twenty of its order-telling dates is day-first.
const (
	aheadRows     = 5000
	minMonthFirst = 3
)

// resolved is a unit value as resolved, with the note it got and, for a
// commune given without a province, its province.
type resolved struct {
	key, note, province string
	choices             []string
}

// memoSize bounds the memo of unit values; it is emptied when full.
const memoSize = 1 << 16

// MissingColumnError is a mapping naming a column the header lacks.
type MissingColumnError struct {
	Line   int // the header's line; 0 for Parquet
	Field  Field
	Column string
	Header []string
}

func (e *MissingColumnError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("field %s is mapped to column %q, which the file does not have; the file's columns are: %s",
			e.Field, e.Column, strings.Join(e.Header, ", "))
	}
	return fmt.Sprintf("line %d: field %s is mapped to column %q, which the header does not have; the header's columns are: %s",
		e.Line, e.Field, e.Column, strings.Join(e.Header, ", "))
}

// NewReader binds a mapping to the header of rows. Column names match
// exactly after trimming spaces, or else ignoring case when only one column
// does so. A mapped column missing from the header is a
// *MissingColumnError. Units are resolved against units.Default().
func NewReader(rows Rows, m *Mapping) (*Reader, error) {
	if m == nil || len(m.entries) == 0 {
		return nil, &MappingError{Msg: "the mapping is empty; map at least one field to a column, e.g. full_name=HO_TEN"}
	}
	r := &Reader{rows: rows, places: defaultPlaces(), units: make(map[string]resolved)}
	for i := range r.col {
		r.col[i] = -1
	}
	header := rows.Header()
	for _, e := range m.entries {
		i := columnIndex(header, e.Column)
		if i < 0 {
			line := 1
			switch c := rows.(type) {
			case *CSV:
				line = c.headerLine
			case *Parquet:
				line = 0 // a Parquet file has no lines
			}
			return nil, &MissingColumnError{Line: line, Field: e.Field, Column: e.Column, Header: header}
		}
		if b, ok := rows.(binder); ok {
			if err := b.bind(i, e); err != nil {
				return nil, err
			}
		}
		r.col[e.Field] = i
		r.ent[e.Field] = e
	}
	return r, nil
}

// binder is Rows that read values according to the field they are mapped
// to (Parquet: a PIN in an integer column, a date column mapped to a
// birth date), or refuse a column that cannot be mapped.
type binder interface {
	bind(column int, e Entry) error
}

// OpenReader is OpenRows followed by NewReader.
func OpenReader(in io.Reader, name string, m *Mapping) (*Reader, error) {
	rows, err := OpenRows(in, name)
	if err != nil {
		return nil, err
	}
	return NewReader(rows, m)
}

// columnIndex finds the mapped column name in the header: as written,
// else the only one equal in another case; both composed first (NFC), so
// that a file written on a system that decomposes accents (NFD: "Mã KH"
// as "Ma\u0303 KH") has the columns its mapping names.
func columnIndex(header []string, name string) int {
	name = norm.NFC.String(strings.TrimSpace(name))
	fold := -1
	for i, h := range header {
		h = norm.NFC.String(h)
		if h == name {
			return i
		}
		if strings.EqualFold(h, name) {
			if fold >= 0 {
				fold = -2 // ambiguous
			} else if fold == -1 {
				fold = i
			}
		}
	}
	if fold < 0 {
		return -1
	}
	return fold
}

// Header returns the columns of the input.
func (r *Reader) Header() []string { return r.rows.Header() }

// Next returns the next record, io.EOF after the last. A *RowError
// concerns one row only and Next may be called again; any other error is
// fatal.
func (r *Reader) Next() (Record, error) {
	values, line, enc, err := r.NextRaw()
	if err != nil {
		return Record{Line: line}, err
	}
	rec := Record{Line: line}
	for f := Field(1); f < numFields; f++ {
		if i := r.col[f]; i >= 0 && i < len(values) {
			rec.raw[f] = values[i]
		}
	}
	if enc != "" {
		rec.note(r.textField(), "the row's text is not UTF-8; it was read as %s text", encodingName(enc))
	}
	r.parse(&rec)
	return rec, nil
}

// NextRaw returns the next row as Rows gives it, with the legacy
// encoding its text was read from ("" for UTF-8), after reading ahead as
// Next does: for callers that parse the rows elsewhere (in parallel), with
// readers that Follow this one.
func (r *Reader) NextRaw() ([]string, int, vntext.Encoding, error) {
	values, line, enc, err := r.nextRaw()
	if err == nil && repeatsHeader(values, r.rows.Header()) {
		return nil, line, "", &RowError{Line: line, Msg: "the row repeats the header's column names (a second table pasted below the first?); it is left out"}
	}
	return values, line, enc, err
}

func (r *Reader) nextRaw() ([]string, int, vntext.Encoding, error) {
	if !r.looked {
		r.lookAhead()
	}
	if len(r.ahead) > 0 {
		a := r.ahead[0]
		r.ahead[0] = aheadRow{}
		r.ahead = r.ahead[1:]
		return a.values, a.line, a.enc, a.err
	}
	values, line, err := r.rows.Next()
	return values, line, r.decodedAs(), err
}

// repeatsHeader reports whether a row holds the header's column names
// again, each in its place (case and Unicode form aside), two at least and
// nothing else.
func repeatsHeader(values, header []string) bool {
	same := 0
	for i, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case i < len(header) && strings.EqualFold(norm.NFC.String(v), norm.NFC.String(header[i])):
			same++
		default:
			return false
		}
	}
	return same >= 2
}

// FollowDateOrder makes r read dates as a reader of the same file that
// read its first rows ahead did: month-first when monthFirst (that
// reader's DateOrder) is not "", else in the mapping's format. r reads no
// row ahead itself: it may be reading from the middle of the file, or one
// row at a time.
func (r *Reader) FollowDateOrder(monthFirst string) {
	r.looked, r.dateFormat, r.dateNote = true, r.ent[FieldBirthDate].Format, monthFirst
	if monthFirst != "" {
		r.dateFormat = FormatUS
	}
}

func (r *Reader) decodedAs() vntext.Encoding {
	if d, ok := r.rows.(interface{ DecodedAs() vntext.Encoding }); ok {
		return d.DecodedAs()
	}
	return ""
}

// lookAhead reads up to aheadRows rows before the first record is
// returned, when the birth-date column may be written day-first (no
// format, or DD/MM/YYYY): a spreadsheet set to US English writes dates
// month-first, and only the dates whose day is over 12 tell. When at
// least minMonthFirst of them can only be month-first and at most one in
// twenty of those that tell can only be day-first, the column is read
// month-first. A file merged from offices of both habits is read
// day-first, the Vietnamese order; its dates valid only the other way are
// read so, each with a note, and the engine weighs a date whose day and
// month are swapped nearly as much as an equal one.
func (r *Reader) lookAhead() {
	r.looked = true
	r.dateFormat = r.ent[FieldBirthDate].Format
	i := r.col[FieldBirthDate]
	if i < 0 || r.dateFormat != "" && r.dateFormat != FormatVN {
		return
	}
	var day, month, rows int
	for len(r.ahead) < aheadRows {
		values, line, err := r.rows.Next()
		r.ahead = append(r.ahead, aheadRow{values: slices.Clone(values), line: line, err: err, enc: r.decodedAs()})
		if err != nil && !IsRowError(err) {
			break // the end, or an error that ends the file: returned in turn
		}
		if err != nil || i >= len(values) {
			continue
		}
		rows++
		switch dateOrder(values[i]) {
		case 'd':
			day++
		case 'm':
			month++
		}
	}
	if month >= minMonthFirst && day*20 <= month {
		r.dateFormat = FormatUS
		r.dateNote = fmt.Sprintf("the column's dates are month-first: of its first %d, %d can only be read month-first and %d only day-first", rows, month, day)
	}
}

// DateOrder says how the birth-date column is read when its dates showed
// they are month-first (after the first record is read); "" otherwise.
func (r *Reader) DateOrder() string { return r.dateNote }

// textField is the field that notes about a whole line's text go to: the
// name, else the first field mapped.
func (r *Reader) textField() Field {
	for _, f := range []Field{FieldFullName, FieldFamilyName, FieldGivenName} {
		if r.mapped(f) {
			return f
		}
	}
	for f := Field(1); f < numFields; f++ {
		if r.mapped(f) {
			return f
		}
	}
	return FieldFullName
}

// encodingName names a legacy encoding as its users know it.
func encodingName(e vntext.Encoding) string {
	switch e {
	case vntext.TCVN3:
		return "TCVN3 (ABC, .VnTime fonts)"
	case vntext.VNI:
		return "VNI-Windows (VNI-Times fonts)"
	case vntext.CP1258:
		return "Windows-1258"
	}
	return string(e)
}

// IsRowError reports whether err spoils only one row.
func IsRowError(err error) bool {
	var re *RowError
	return errors.As(err, &re)
}

func (r *Reader) mapped(f Field) bool { return r.col[f] >= 0 }

// parse fills the understood values of rec from its raw ones.
func (r *Reader) parse(rec *Record) {
	// One record is typed in one encoding: the first text value found in
	// a legacy one decides for all (a short value, such as "Thò" for
	// "Thị" in VNI, is a word either way).
	for _, f := range textFields {
		if _, enc := vntext.FixMojibake(cleanText(rec.raw[f])); enc != vntext.None {
			rec.legacy = enc
			break
		}
	}
	_, rec.typed = vntext.DecodeTyping(rec.raw[FieldFullName] + " " + rec.raw[FieldFamilyName] + " " +
		rec.raw[FieldMiddleName] + " " + rec.raw[FieldGivenName])
	rec.ID = strings.TrimSpace(rec.raw[FieldID])
	if r.mapped(FieldID) && rec.ID == "" {
		rec.note(FieldID, "the record has no id; it is cited by its line")
	}
	rec.FullName = nameText(rec, FieldFullName)
	rec.FamilyName = nameText(rec, FieldFamilyName)
	rec.MiddleName = nameText(rec, FieldMiddleName)
	rec.GivenName = nameText(rec, FieldGivenName)
	if rec.FullName == "" {
		rec.FullName = strings.Join(strings.Fields(rec.FamilyName+" "+rec.MiddleName+" "+rec.GivenName), " ")
	}
	r.parseBirth(rec)
	r.parseSex(rec)
	r.parseIDs(rec)
	rec.Address = legacyText(rec, FieldAddress, cleanText(rec.raw[FieldAddress]))
	r.parseUnits(rec)
	if v := strings.TrimSpace(rec.raw[FieldPhone]); v != "" {
		var note string
		rec.Phone, note = parsePhone(v)
		if note != "" {
			if rec.Phone == "" {
				rec.unreadable(FieldPhone, "%s", note)
			} else {
				rec.note(FieldPhone, "%s", note)
			}
		}
	}
}

// legacyText reads s back, with a note, when it is text of a legacy
// Vietnamese encoding stored as Windows-1252 characters ("NguyÔn" for
// "Nguyễn": vntext.FixMojibake).
func legacyText(rec *Record, f Field, s string) string {
	fixed, enc := s, rec.legacy
	if enc == vntext.None {
		return s
	}
	if fixed, _ = vntext.DecodeAs(s, enc); fixed == s {
		return s
	}
	rec.note(f, "%s is %s text stored as Windows-1252 characters; it is read as %s", quote(s), encodingName(enc), quote(fixed))
	return fixed
}

// nameText is the text of a name field: cleaned, read back from a legacy
// encoding, and decoded, with a note, when it was typed with a Vietnamese
// input method switched off ("Nguyeexn Thij" for "Nguyễn Thị":
// vntext.DecodeTyping).
func nameText(rec *Record, f Field) string {
	s := legacyText(rec, f, cleanText(rec.raw[f]))
	if rec.typed == "" {
		return s
	}
	decoded, typing := vntext.DecodeTyping(s)
	if typing == "" {
		if decoded, typing = vntext.DecodeTypingToo(s), rec.typed; decoded == s {
			return s
		}
	}
	rec.note(f, "%s looks typed with %s keystrokes and the Vietnamese input method off; it is read as %s", quote(s), typing, quote(decoded))
	return decoded
}

// cleanText puts text in NFC (sector systems store both composed and
// decomposed Vietnamese) with single spaces.
func cleanText(s string) string {
	if norm.NFC.IsNormalString(s) && singleSpaced(s) {
		return s
	}
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// singleSpaced reports whether s has no white space but single ASCII
// spaces between words.
func singleSpaced(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		case c < ' ' || c == 0x7f || c == 0xc2 || c == 0xe2 || c == 0xe3:
			return false // control characters, and the lead bytes of non-ASCII spaces
		}
	}
	return true
}

func (r *Reader) parseBirth(rec *Record) {
	if v := strings.TrimSpace(rec.raw[FieldBirthDate]); v != "" {
		d, note := parseDate(v, r.dateFormat)
		if r.dateNote != "" && note == "" && d.Full() && d.Month <= 12 && d.Day <= 12 && d.Day != d.Month {
			note = fmt.Sprintf("birth date %s is read month-first, as %s: %s", quote(v), d.VN(), r.dateNote)
		}
		rec.BirthDate = d
		if note != "" {
			if d.IsZero() {
				if rec.BirthDigits = dateDigits(v, r.dateFormat); rec.BirthDigits != "" {
					note += "; its digits are compared with the register's dates, one typing error apart"
				}
				rec.unreadable(FieldBirthDate, "%s", note)
			} else {
				rec.note(FieldBirthDate, "%s", note)
			}
		}
	}
	v := strings.TrimSpace(rec.raw[FieldBirthYear])
	if v == "" {
		return
	}
	y, err := civil.ParseDate(v)
	if err != nil || y.Month != 0 {
		rec.unreadable(FieldBirthYear, "birth year %s is not a year from 1800 to 2399", quote(v))
		return
	}
	switch {
	case rec.BirthDate.IsZero():
		rec.BirthDate = y
	case rec.BirthDate.Year != y.Year:
		rec.note(FieldBirthYear, "birth year %d disagrees with the birth date %s; the date is kept", y.Year, rec.BirthDate)
	}
}

func (r *Reader) parseSex(rec *Record) {
	v := strings.TrimSpace(norm.NFC.String(rec.raw[FieldSex]))
	if v == "" {
		return
	}
	if len(v) == 1 && v[0] >= '0' && v[0] <= '9' {
		if s := r.ent[FieldSex].sex[v[0]-'0']; s != civil.SexUnknown {
			rec.Sex = s
			return
		}
		if r.ent[FieldSex].Format == "" {
			rec.unreadable(FieldSex, "sex is coded %s; declare the codes in the mapping, e.g. sex=%s:1=M/0=F", v, r.ent[FieldSex].Column)
		} else {
			rec.unreadable(FieldSex, "sex code %s is not one of the mapping's codes %s", v, r.ent[FieldSex].Format)
		}
		return
	}
	s, err := civil.ParseSex(v)
	if err != nil {
		rec.unreadable(FieldSex, "sex %s is not one of M, F, Nam, Nữ", quote(v))
		return
	}
	rec.Sex = s
}

// parseIDs reads the PIN and CMND columns. Either may hold the other
// kind of number (a 9-digit CMND in the PIN column is common); the number
// is then taken for what it is, with a note.
func (r *Reader) parseIDs(rec *Record) {
	for _, f := range []Field{FieldPIN, FieldCMND} {
		v := strings.TrimSpace(rec.raw[f])
		if v == "" {
			continue
		}
		if rest, label := numberLabel(v); label != "" {
			rec.note(f, "the label %s before the number is left out", quote(label))
			v = rest
		}
		d, note := cleanDigits(v)
		if d == "" {
			var lost bool
			if d, lost = scientific(v); lost {
				rec.unreadable(f, "%s is a number in scientific notation that kept only its first digits; the rest are lost", quote(v))
				continue
			}
			if d != "" {
				note = "the number is written in scientific notation; it is read as " + d
			}
		}
		if note != "" {
			rec.note(f, "%s", note)
		}
		if len(d) == pin.Length-2 && d[0] != '0' {
			// Provinces 001–009: a number column drops both zeros.
			if _, _, err := pin.Parse("00" + d); err == nil {
				d = "00" + d
				rec.note(f, "the number has 10 digits; two lost leading zeros are restored (PINs of provinces 001–009 start with 00)")
			}
		}
		switch {
		case d == "":
			rec.unreadable(f, "%s is not a number", quote(v))
		case len(d) == pin.Length || len(d) == pin.Length-1 && validPIN("0"+d):
			if len(d) == pin.Length-1 {
				d = "0" + d
				rec.note(f, "the number has 11 digits; a lost leading zero is restored (PINs start with 0)")
			}
			if _, _, err := pin.Parse(d); err != nil {
				// A typing error in the province or century digits: kept,
				// since it is one edit from the person's PIN and is
				// compared so (never as an exact PIN).
				rec.note(f, "%s is not a valid PIN (%v); it is compared as a PIN with a typing error", quote(v), err)
			}
			if f == FieldCMND {
				rec.note(f, "the CMND column holds a 12-digit PIN; it is read as a PIN")
			}
			if rec.PIN != "" && rec.PIN != d {
				rec.note(f, "a second PIN %s differs from %s; the first is kept", d, rec.PIN)
				continue
			}
			rec.PIN = d
		case len(d) == pin.CMNDLength || len(d) == pin.CMNDLength-1:
			if len(d) == pin.CMNDLength-1 {
				d = "0" + d
				rec.note(f, "the number has 8 digits; it is read as a CMND that lost its leading zero")
			}
			if _, err := pin.ParseCMND(d); err != nil {
				rec.unreadable(f, "%s is not a valid CMND: %v", quote(v), err)
				continue
			}
			if f == FieldPIN {
				rec.note(f, "the PIN column holds a 9-digit CMND number; it is read as a CMND")
			}
			if rec.CMND != "" && rec.CMND != d {
				rec.note(f, "a second CMND %s differs from %s; the first is kept", d, rec.CMND)
				continue
			}
			rec.CMND = d
		default:
			rec.unreadable(f, "%s has %d digits; a PIN has 12 and a CMND 9", quote(v), len(d))
		}
	}
}

func validPIN(d string) bool {
	_, _, err := pin.Parse(d)
	return err == nil
}

// scientific reads a number a spreadsheet wrote in scientific notation
// ("7.9090001234E+10", "1.07585E+11"): its digits when the mantissa holds
// all of them, else lost (the spreadsheet kept only the first few digits:
// the number cannot be read back).
func scientific(v string) (digits string, lost bool) {
	v = strings.ToUpper(strings.TrimSpace(strings.ReplaceAll(v, ",", ".")))
	mant, exp, ok := strings.Cut(v, "E")
	if !ok {
		return "", false
	}
	exp = strings.TrimPrefix(exp, "+")
	if !allDigits(exp) || len(exp) > 2 {
		return "", false
	}
	whole, frac, _ := strings.Cut(mant, ".")
	if len(whole) != 1 || !allDigits(whole) || frac != "" && !allDigits(frac) {
		return "", false
	}
	e := atoi(exp)
	frac = strings.TrimRight(frac, "0")
	if len(frac) > e {
		return "", false // not a whole number
	}
	if e > 15 || e >= 8 && len(frac) < e && 1+len(frac) < 10 {
		// An identity number with fewer than ten significant digits
		// shown (Excel's General format shows six: 1.07585E+11): the
		// others were rounded away, not zeros.
		return "", true
	}
	return whole + frac + strings.Repeat("0", e-len(frac)), false
}

// cleanDigits drops the separators people and spreadsheets put in numbers
// (spaces, dots, dashes, a leading apostrophe) and reads the letters O and
// l/I as the digits they were mistaken for. It returns "" when anything
// else is left, and a note when letters were read as digits.
// idLabel is a label written before an identity number in its cell
// ("CCCD: 0380…", "Số CMND 0123…", "CCCD số 0380…"), folded.
var idLabel = regexp.MustCompile(`^(?:so\s+)?(?:cccd|cmnd|cmt|can cuoc(?: cong dan)?|dinh danh(?: ca nhan)?|id)\s*(?:so)?\s*[:#.]?\s*`)

// numberLabel returns v without a label before its number, and the label,
// or v and "" when it has none.
func numberLabel(v string) (string, string) {
	if len(v) == 0 || v[0] >= '0' && v[0] <= '9' {
		return v, ""
	}
	folded := textfold.Fold(v)
	m := idLabel.FindString(folded)
	if m == "" || len(m) >= len(folded) || folded[len(m)] < '0' || folded[len(m)] > '9' {
		return v, ""
	}
	// Fold keeps one letter for each; the label's words are as many in v.
	words := len(strings.Fields(m))
	fields := strings.Fields(strings.NewReplacer(":", ": ", "#", "# ").Replace(v))
	if len(fields) <= words {
		return v, ""
	}
	rest := strings.Join(fields[words:], " ")
	return rest, strings.TrimRight(strings.Join(fields[:words], " "), ":#. ")
}

func cleanDigits(s string) (string, string) {
	s = strings.TrimPrefix(s, "'")
	b := make([]byte, 0, len(s))
	ocr := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b = append(b, byte(c))
		case c == ' ' || c == '.' || c == '-' || c == '\u00a0':
		case c == 'O' || c == 'o':
			b, ocr = append(b, '0'), true
		case c == 'l' || c == 'I' || c == '|':
			b, ocr = append(b, '1'), true
		default:
			return "", ""
		}
	}
	if ocr {
		return string(b), "letters O, l or I in the number are read as the digits 0 and 1"
	}
	return string(b), ""
}

func (r *Reader) parseUnits(rec *Record) {
	// Without a commune column (or a value in it), the address may name
	// the commune, and the province when its column has none.
	var addrCommune, addrProvince string
	if strings.TrimSpace(rec.raw[FieldCommune]) == "" && rec.Address != "" {
		addrCommune, addrProvince = addressUnits(rec.Address)
	}
	if v := strings.TrimSpace(rec.raw[FieldProvince]); v != "" {
		v = legacyText(rec, FieldProvince, v)
		res := r.resolve("p|"+v, func() (res resolved) {
			res.key, res.note = r.places.province(v, r.ent[FieldProvince].Format == FormatOldUnits)
			return res
		})
		rec.Province = res.key
		if res.note != "" {
			if res.key == "" {
				rec.unreadable(FieldProvince, "%s", res.note)
			} else {
				rec.note(FieldProvince, "%s", res.note)
			}
		}
	}
	if rec.Province == "" && addrProvince != "" {
		// Free text: a last part that is no province is a village or a
		// street, not an error.
		res := r.resolve("p|"+addrProvince, func() (res resolved) {
			res.key, res.note = r.places.province(addrProvince, false)
			return res
		})
		if rec.Province = res.key; res.key != "" {
			rec.note(FieldAddress, "province %s is read from the address", res.key)
		}
	}
	field, v, old := FieldCommune, strings.TrimSpace(rec.raw[FieldCommune]), r.ent[FieldCommune].Format == FormatOldUnits
	if v == "" {
		field, v, old = FieldAddress, addrCommune, false
	}
	if v == "" {
		return
	}
	if field == FieldCommune {
		v = legacyText(rec, FieldCommune, v)
	}
	province := rec.Province
	res := r.resolve("c|"+strconv.FormatBool(old)+"|"+province+"|"+v, func() (res resolved) {
		res.key, res.choices, res.note = r.places.commune(v, old, province)
		if len(res.choices) > 0 {
			res.note += fmt.Sprintf("; it is compared with the candidates' communes (%d communes have that name)", len(res.choices))
		}
		switch {
		case res.note != "":
		case province == "":
			res.province = r.places.parentOf(res.key)
			if !allDigits(strings.TrimPrefix(v, "old:")) {
				res.note = fmt.Sprintf("commune %s is given without a province; it is the only commune of that name in the country (province %s)", quote(v), res.province)
			}
		case !r.places.sameArea(res.key, province):
			res.note = fmt.Sprintf("commune %s is not in province %s", res.key, province)
		}
		return res
	})
	rec.Commune = res.key
	if res.key == "" {
		rec.Communes = res.choices
	}
	if res.province != "" {
		rec.Province = res.province
	}
	switch {
	case res.note == "":
	case field == FieldAddress:
		// The address is free text: what it names is used when it can be,
		// and never counted as an unreadable value.
		rec.note(FieldAddress, "in the address: %s", res.note)
	case res.key == "" && len(res.choices) == 0:
		rec.unreadable(FieldCommune, "%s", res.note)
	default:
		rec.note(FieldCommune, "%s", res.note)
	}
}

// resolve returns the memoised resolution of a unit value.
func (r *Reader) resolve(key string, f func() resolved) resolved {
	if res, ok := r.units[key]; ok {
		return res
	}
	if len(r.units) >= memoSize {
		clear(r.units)
	}
	res := f()
	r.units[key] = res
	return res
}

// parsePhone reads a Vietnamese phone number into its national form.
func parsePhone(v string) (string, string) {
	b := make([]byte, 0, len(v))
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			b = append(b, byte(c))
		case c == '+' && len(b) == 0, c == ' ', c == '.', c == '-', c == '(', c == ')', c == '\u00a0':
		default:
			return "", fmt.Sprintf("phone %s is not a phone number", quote(v))
		}
	}
	d := string(b)
	switch {
	case strings.HasPrefix(d, "84") && (len(d) == 11 || len(d) == 12):
		d = "0" + d[2:]
	case len(d) == 9 && d[0] != '0':
		return "0" + d, "the phone number has 9 digits; a lost leading zero is restored"
	}
	if d == "" || d[0] != '0' || len(d) < 10 || len(d) > 11 {
		return "", fmt.Sprintf("phone %s is not a Vietnamese number (0 and 9 or 10 more digits)", quote(v))
	}
	return d, ""
}
