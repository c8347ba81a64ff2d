package sector

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// EncodingError reports input that is not UTF-8, at its first offending
// byte. It is fatal: nothing after it can be trusted to be read right.
//
// In a Parquet file it names the row and the column instead of the line,
// and Column is the byte of the value.
type EncodingError struct {
	Line   int  // 1-based line of the file
	Column int  // 1-based byte column in that line; a UTF-8 byte-order mark is not counted
	Byte   byte // the first offending byte
	UTF16  bool // the input looks like UTF-16 (a UTF-16 byte-order mark or a NUL byte)

	Row        int64  // Parquet: the 1-based row; 0 for CSV
	ColumnName string // Parquet: the column's name
}

func (e *EncodingError) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("Parquet file, row %d, column %q: byte 0x%02X (byte %d of the value) is not valid UTF-8; "+
			"text in the file must be UTF-8 (a legacy Vietnamese encoding such as Windows-1258 or TCVN3 must be "+
			"converted before the table is exported)", e.Row, e.ColumnName, e.Byte, e.Column)
	}
	if e.UTF16 {
		return fmt.Sprintf("line %d, column %d: byte 0x%02X: the file looks like UTF-16; "+
			"it must be UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)", e.Line, e.Column, e.Byte)
	}
	return fmt.Sprintf("line %d, column %d: byte 0x%02X is not valid UTF-8; the file must be UTF-8 "+
		"(a legacy Vietnamese encoding such as Windows-1258 or TCVN3 must be converted first, "+
		"e.g. iconv -f CP1258 -t UTF-8)", e.Line, e.Column, e.Byte)
}

// utf8Reader passes its input through unchanged, less a leading UTF-8
// byte-order mark, and stops with an *EncodingError at the first byte that
// is not UTF-8 (or is NUL, which UTF-8 allows but no text file holds: it is
// the mark of UTF-16). It keeps one fixed buffer, so memory is constant.
type utf8Reader struct {
	r                 io.Reader
	buf               []byte
	start, valid, end int   // buf[start:valid] is checked and unread; buf[valid:end] unchecked
	line, col         int   // position of buf[valid]: 1-based line, bytes before it on the line
	readErr           error // from r, io.EOF included; returned once everything is drained
	bad               *EncodingError
	bomDone           bool
}

func newUTF8Reader(r io.Reader) *utf8Reader {
	return &utf8Reader{r: r, buf: make([]byte, 64<<10), line: 1}
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for u.start == u.valid {
		switch {
		case u.bad != nil:
			return 0, u.bad
		case u.readErr != nil && u.valid == u.end:
			return 0, u.readErr
		}
		u.fill()
		u.check()
	}
	n := copy(p, u.buf[u.start:u.valid])
	u.start += n
	return n, nil
}

// fill moves unread bytes to the front and reads once more from r.
func (u *utf8Reader) fill() {
	if u.readErr != nil {
		return
	}
	if u.start > 0 {
		n := copy(u.buf, u.buf[u.start:u.end])
		u.valid -= u.start
		u.end = n
		u.start = 0
	}
	n, err := u.r.Read(u.buf[u.end:])
	u.end += n
	u.readErr = err
}

// check advances valid over whole, well-formed characters.
func (u *utf8Reader) check() {
	if !u.bomDone {
		b := u.buf[u.valid:u.end]
		if len(b) < 3 && u.readErr == nil {
			return // too early to tell
		}
		u.bomDone = true
		switch {
		case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
			u.start += 3
			u.valid += 3
		case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
			u.bad = &EncodingError{Line: 1, Column: 1, Byte: b[0], UTF16: true}
			return
		}
	}
	for u.valid < u.end {
		c := u.buf[u.valid]
		if c < utf8.RuneSelf {
			if c == 0 {
				u.bad = &EncodingError{Line: u.line, Column: u.col + 1, Byte: 0, UTF16: true}
				return
			}
			if c == '\n' {
				u.line++
				u.col = 0
			} else {
				u.col++
			}
			u.valid++
			continue
		}
		b := u.buf[u.valid:u.end]
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if !utf8.FullRune(b) && u.readErr == nil {
				return // the character continues in the next read
			}
			u.bad = &EncodingError{Line: u.line, Column: u.col + 1, Byte: c}
			return
		}
		u.col += size
		u.valid += size
	}
}
