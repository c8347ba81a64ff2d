package events

import (
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// FuzzReadPINs: a watch-list upload (outside input) is either refused with
// a problem (a line named, or too many) or read whole, every PIN handed on
// valid, as many as counted, none beyond the limit.
func FuzzReadPINs(f *testing.F) {
	f.Add("001090000001\n001090000002\n")
	f.Add("\n  001090000001  \r\n\n")
	f.Add("001090000001\n12345\n")
	f.Add(strings.Repeat("9", 300))
	f.Add("001090000001\n001090000001\n001090000001\n001090000001\n")
	f.Fuzz(func(t *testing.T, body string) {
		var got []string
		n, err := readPINs(strings.NewReader(body), 3, func(p string) error { got = append(got, p); return nil })
		for _, p := range got {
			if _, _, perr := pin.Parse(p); perr != nil {
				t.Fatalf("handed on %q: %v", p, perr)
			}
		}
		if len(got) > 3 {
			t.Fatalf("%d PINs handed on, limit 3", len(got))
		}
		if err != nil {
			if problem.KindOf(err) != problem.Invalid && problem.KindOf(err) != problem.TooLarge {
				t.Fatalf("error %v is not a problem of the input", err)
			}
			return
		}
		if int(n) != len(got) {
			t.Fatalf("counted %d, handed on %d", n, len(got))
		}
	})
}
