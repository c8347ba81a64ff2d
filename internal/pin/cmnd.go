package pin

// CMND is an old 9-digit identity card number (số chứng minh nhân dân) that
// has passed ParseCMND. The 12-digit cards issued from 2012 to 2016 carry a
// PIN and are read with Parse.
//
// The first digits name the issuing provincial police, but the numbering was
// never a clean table: prefixes are two or three digits (Gia Lai 230/231,
// Bình Dương 280), some are shared by two provinces, merged and split
// provinces kept or swapped theirs, and ranges are reported to have been issued
// twice (Bà Rịa–Vũng Tàu's 271450001–271500000 also by Đồng Nai). No official
// list was found, only secondary copies, so ParseCMND checks the shape and
// does not derive a province. Two people may share a CMND number;
// it must never be used alone to match records.
type CMND string

// CMNDLength is the number of digits in a CMND.
const CMNDLength = 9

// ParseCMND checks that s is nine digits and not all zeros.
func ParseCMND(s string) (CMND, error) {
	if len(s) == Length && allDigits(s) {
		return "", newError(0, FieldLength, "the number has 12 digits; an identity card (CMND) number has 9 "+
			"(a 12-digit number is a personal identification number)")
	}
	if err := digitsOnly(s, CMNDLength, phrase("an identity card (CMND) number")); err != nil {
		return "", err
	}
	if s == "000000000" {
		return "", newError(0, FieldDigit, "the number is all zeros, which no identity card carries")
	}
	return CMND(s), nil
}

func (c CMND) String() string { return string(c) }

// UnmarshalText parses, so that a CMND field in a JSON request is validated on decoding.
func (c *CMND) UnmarshalText(b []byte) error {
	x, err := ParseCMND(string(b))
	if err != nil {
		return err
	}
	*c = x
	return nil
}

func (c CMND) MarshalText() ([]byte, error) { return []byte(c), nil }
