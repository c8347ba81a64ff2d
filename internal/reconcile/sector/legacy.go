package sector

import (
	"bufio"
	"bytes"
	"io"

	"github.com/populus-vn/populus/internal/vntext"
)

// legacyReader passes the lines of a CSV file that are UTF-8 through as
// they are and decodes the others from the legacy Vietnamese encoding that
// reads best (vntext.Decoder: TCVN3, VNI-Windows or Windows-1258; one file
// is in one encoding, so the choice is made over all the lines decoded so
// far). Sector files exported from systems of the 1990s and 2000s, or merged
// from their spreadsheets, are in those encodings, in part or whole; they
// are read, not refused, and every record on a decoded line gets a note
// saying so (CSV.decodedAs). A file that looks like UTF-16 (a UTF-16
// byte-order mark, or a NUL byte on the line) is passed through untouched,
// for the UTF-8 check behind it to refuse. A line longer than the buffer
// (over MaxRowBytes, refused by the limiter behind it) is passed through.
type legacyReader struct {
	br      *bufio.Reader
	dec     vntext.Decoder
	pending []byte
	line    int // the line the next byte read starts on, 1-based
	started bool
	utf16   bool
	err     error
	// decoded holds the lines decoded and not yet asked about.
	decoded map[int]vntext.Encoding
}

func newLegacyReader(r io.Reader) *legacyReader {
	return &legacyReader{br: bufio.NewReaderSize(r, MaxRowBytes+1), line: 1, decoded: map[int]vntext.Encoding{}}
}

func (l *legacyReader) Read(p []byte) (int, error) {
	for len(l.pending) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		l.next()
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

// next reads the next line (or the next buffer's worth of an overlong one)
// into pending, decoded if it is not UTF-8.
func (l *legacyReader) next() {
	if !l.started {
		l.started = true
		if head, _ := l.br.Peek(2); len(head) == 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
			l.utf16 = true
		}
	}
	line, err := l.br.ReadSlice('\n')
	switch err {
	case nil, io.EOF:
		l.err = err
	case bufio.ErrBufferFull:
		l.pending = line // overlong: the limiter refuses it
		return
	default:
		l.err = err
	}
	if !l.utf16 && bytes.IndexByte(line, 0) < 0 {
		if out := l.dec.Decode(line); len(out) != len(line) || !bytes.Equal(out, line) {
			l.decoded[l.line] = l.dec.Used
			line = out
		}
	}
	l.pending = line
	if len(line) > 0 && line[len(line)-1] == '\n' {
		l.line++
	}
}

// decodedAs returns the encoding that any of the lines first to last was
// decoded from ("" if none), and forgets the lines before last.
func (l *legacyReader) decodedAs(first, last int) vntext.Encoding {
	var enc vntext.Encoding
	for ln, e := range l.decoded {
		if ln >= first && ln <= last && enc == "" {
			enc = e
		}
		if ln <= last {
			delete(l.decoded, ln)
		}
	}
	return enc
}
