package audit

import (
	"bytes"
	"testing"
)

// ParseLeaf reads back what leafData writes, column by column, and
// refuses a leaf cut short, lengthened or with a wrong length.
func TestParseLeaf(t *testing.T) {
	r := storedRow{id: 42, at: "2026-12-06T21:16:29.277599Z", actor: "member:VN/COM/VCB/EKYC", action: "exchange.person.read", subject: "001040999957",
		outcome: "ok", detail: "official X; answer abc==; evidence 0f", remote: "127.0.0.1", purpose: "KYC", legalBasis: "Nghị định 13/2023/NĐ-CP",
		consent: "cr-1", request: "r-1", fields: "full_name,birth_date", salt: "00112233445566778899aabbccddeeff"}
	b := leafData(&r)
	leaf, err := ParseLeaf(b)
	if err != nil {
		t.Fatal(err)
	}
	cols := r.cols()
	for i, c := range leafColumns {
		if leaf.Columns[c] != cols[i] {
			t.Errorf("%s: %q, want %q", c, leaf.Columns[c], cols[i])
		}
	}
	if leaf.Columns["salt"] != r.salt {
		t.Errorf("salt: %q, want %q", leaf.Columns["salt"], r.salt)
	}
	unsalted := r
	unsalted.salt = ""
	if old, err := ParseLeaf(leafData(&unsalted)); err != nil || old.Columns["salt"] != "" || len(old.Columns) != len(leafColumns) {
		t.Errorf("a leaf written before salts: %+v %v", old, err)
	}
	if leaf.ID != 42 || !leaf.DetailHas("answer abc==") || leaf.DetailHas("answer abc") || leaf.DetailHas("official") {
		t.Errorf("%+v", leaf)
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 'x'), bytes.Replace(b, []byte("12:001040999957"), []byte("13:001040999957"), 1),
		bytes.Replace(b, []byte("\n42\n"), []byte("\n042\n"), 1), b[1:], append(leafData(&unsalted), "0:"...)} {
		if _, err := ParseLeaf(bad); err == nil {
			t.Errorf("%q read as a leaf", bad)
		}
	}
}

// FuzzParseLeaf: any bytes give a leaf or an error, never a panic; a leaf
// read is the bytes leafData writes of its columns.
func FuzzParseLeaf(f *testing.F) {
	f.Add(leafData(&storedRow{id: 7, actor: "staff:a", detail: "x; y"}))
	f.Add(leafData(&storedRow{id: 8, actor: "staff:a", salt: "00112233445566778899aabbccddeeff"}))
	f.Add([]byte("populus-audit-entry/1\n1\n"))
	f.Add([]byte("populus-audit-entry/1\n-1\n0:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		leaf, err := ParseLeaf(b)
		if err != nil {
			return
		}
		c := leaf.Columns
		r := storedRow{id: leaf.ID, at: c["at"], actor: c["actor"], action: c["action"], subject: c["subject"], outcome: c["outcome"], detail: c["detail"],
			remote: c["remote"], purpose: c["purpose"], legalBasis: c["legal_basis"], consent: c["consent"], request: c["request"], fields: c["fields"], salt: c["salt"]}
		if !bytes.Equal(leafData(&r), b) {
			t.Fatalf("%q read as %+v", b, leaf)
		}
	})
}
