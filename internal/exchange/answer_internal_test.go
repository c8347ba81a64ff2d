package exchange

import "testing"

// BenchmarkAnswerEvidence is what a look-up's answer pays for its
// evidence before the audit entry: the id, the commitment and the key.
func BenchmarkAnswerEvidence(b *testing.B) {
	body := []byte(`{"pin":"001190000001","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17","status":"alive"}` + "\n")
	for b.Loop() {
		id, detail := newAnswerEvidence("001190000001", body)
		if len(id) != 45 || len(detail) < 70 {
			b.Fatal(id, detail)
		}
	}
}
