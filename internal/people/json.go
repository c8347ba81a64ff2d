package people

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends p's JSON, byte for byte what encoding/json writes for
// it (TestPersonAppendJSON keeps them equal), without reflection: reading a
// person is the API's busiest answer, and the reflective encoder, with
// MarshalJSON and its re-validation for every date and time, was a twentieth
// of its CPU.
func (p *Person) AppendJSON(b []byte) []byte {
	str := appendJSONString
	b = str(append(b, `{"pin":`...), p.PIN)
	if p.CMND != "" {
		b = str(append(b, `,"cmnd":`...), p.CMND)
	}
	b = str(append(b, `,"full_name":`...), p.FullName)
	if len(p.OtherNames) > 0 {
		b = append(b, `,"other_names":[`...)
		for i, n := range p.OtherNames {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, n)
		}
		b = append(b, ']')
	}
	b = p.BirthDate.AppendJSON(append(b, `,"birth_date":`...))
	b = str(append(b, `,"sex":`...), p.Sex.String())
	b = str(append(b, `,"birth_place":`...), p.BirthPlace)
	b = str(append(b, `,"hometown":`...), p.Hometown)
	b = str(append(b, `,"ethnicity":`...), p.Ethnicity)
	b = str(append(b, `,"religion":`...), p.Religion)
	b = str(append(b, `,"nationality":`...), p.Nationality)
	b = p.Permanent.appendJSON(append(b, `,"permanent_residence":`...))
	b = p.Temporary.appendJSON(append(b, `,"temporary_residence":`...))
	b = p.Current.appendJSON(append(b, `,"current_address":`...))
	if p.HouseholdID != "" {
		b = str(append(b, `,"household_id":`...), p.HouseholdID)
	}
	if p.Relation != "" {
		b = str(append(b, `,"relation_to_head":`...), string(p.Relation))
	}
	for _, f := range [...]struct{ key, pin string }{
		{`,"father_pin":`, p.FatherPIN}, {`,"mother_pin":`, p.MotherPIN}, {`,"spouse_pin":`, p.SpousePIN},
	} {
		if f.pin != "" {
			b = str(append(b, f.key...), f.pin)
		}
	}
	b = append(b, `,"id_card":{`...)
	if p.Card.Number != "" {
		b = append(str(append(b, `"number":`...), p.Card.Number), ',')
	}
	b = p.Card.Issued.AppendJSON(append(b, `"issued":`...))
	b = p.Card.Expires.AppendJSON(append(b, `,"expires":`...))
	b = str(append(b, `},"status":`...), string(p.Status))
	b = p.DeathDate.AppendJSON(append(b, `,"death_date":`...))
	b = strconv.AppendInt(append(b, `,"version":`...), int64(p.Version), 10)
	b = appendJSONTime(append(b, `,"created_at":`...), p.CreatedAt)
	b = appendJSONTime(append(b, `,"updated_at":`...), p.UpdatedAt)
	return append(b, '}')
}

func (a Address) appendJSON(b []byte) []byte {
	b = appendJSONString(append(b, `{"unit_code":`...), a.Unit)
	b = appendJSONString(append(b, `,"detail":`...), a.Detail)
	return append(b, '}')
}

// appendJSONTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds); the register's times are within the years it accepts.
func appendJSONTime(b []byte, t time.Time) []byte {
	return append(t.AppendFormat(append(b, '"'), time.RFC3339Nano), '"')
}

// appendJSONString appends s as a JSON string, byte for byte what
// encoding/json writes (HTML-escaping <, > and &, and escaping U+2028, U+2029
// and invalid UTF-8); TestPersonAppendJSON and FuzzPersonAppendJSON hold it
// to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return appendJSONStringSlow(b, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return appendJSONStringSlow(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONStringSlow is appendJSONString for a string that needs escaping.
func appendJSONStringSlow(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
