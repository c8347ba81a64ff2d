package civil

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Sex is a person's sex as recorded in the register (giới tính).
type Sex byte

const (
	SexUnknown Sex = 0
	Male       Sex = 'M'
	Female     Sex = 'F'
)

// ParseSex accepts M/F, male/female and the Vietnamese nam/nữ (with or without diacritics).
func ParseSex(s string) (Sex, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "m", "male", "nam":
		return Male, nil
	case "f", "female", "nữ", "nu", "nư\u0303":
		return Female, nil
	}
	return SexUnknown, fmt.Errorf("sex %q is not one of M, F", s)
}

func (s Sex) String() string {
	switch s {
	case Male:
		return "M"
	case Female:
		return "F"
	}
	return ""
}

// Word returns "male" or "female", for messages.
func (s Sex) Word() string {
	switch s {
	case Male:
		return "male"
	case Female:
		return "female"
	}
	return "unknown"
}

func (s Sex) Valid() bool { return s == Male || s == Female }

func (s Sex) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (s *Sex) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("sex must be a string")
	}
	x, err := ParseSex(v)
	if err != nil {
		return err
	}
	*s = x
	return nil
}
