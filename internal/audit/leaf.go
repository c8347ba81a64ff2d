package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// LeafEntry is what a leaf of the log's tree says: the entry's id and its
// columns as stored (the time in the store's text form, the fields joined
// by commas), for a holder of an inclusion proof to read what was proven.
type LeafEntry struct {
	ID      int64
	Columns map[string]string // by column name: at, actor, action, subject, outcome, detail, …
}

// ParseLeaf reads a leaf as leafData writes it.
func ParseLeaf(b []byte) (LeafEntry, error) {
	out := LeafEntry{Columns: make(map[string]string, len(leafColumns))}
	rest, ok := bytes.CutPrefix(b, []byte(leafPrefix))
	if !ok {
		return out, errors.New("not a leaf of the audit log: it does not begin with " + strconv.Quote(leafPrefix))
	}
	digits, rest, found := bytes.Cut(rest, []byte("\n"))
	if !found {
		return out, errors.New("the leaf has no entry id")
	}
	id, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || id <= 0 || string(digits) != strconv.FormatInt(id, 10) {
		return out, fmt.Errorf("the leaf's entry id %q is not a positive decimal number", digits)
	}
	out.ID = id
	for _, c := range append(leafColumns[:len(leafColumns):len(leafColumns)], "salt") {
		if c == "salt" && len(rest) == 0 {
			break // an entry written before salts
		}
		n, tail, found := bytes.Cut(rest, []byte(":"))
		size, err := strconv.Atoi(string(n))
		if !found || err != nil || size < 0 || size > len(tail) || string(n) != strconv.Itoa(size) || (c == "salt" && size == 0) {
			return out, fmt.Errorf("the leaf's column %s has no valid length", c)
		}
		out.Columns[c], rest = string(tail[:size]), tail[size:]
	}
	if len(rest) > 0 {
		return out, fmt.Errorf("the leaf has %d bytes after its last column", len(rest))
	}
	return out, nil
}

// DetailHas reports whether the leaf's detail holds part (DetailHas).
func (e LeafEntry) DetailHas(part string) bool { return DetailHas(e.Columns["detail"], part) }

// DetailHas reports whether part is one of the "; "-separated parts of an
// entry's detail.
func DetailHas(detail, part string) bool {
	for p := range strings.SplitSeq(detail, "; ") {
		if p == part {
			return true
		}
	}
	return false
}
