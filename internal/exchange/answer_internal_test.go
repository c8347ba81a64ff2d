package exchange

import (
	"strings"
	"testing"
	"time"
)

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

// An evidence id holds the time its answer was made; one made before the
// time was in it (random bits there) gives none, or one the search
// survives: it falls back to the person's newest entries.
func TestEvidenceTime(t *testing.T) {
	now := time.Now()
	id := newEvidenceID("001190000001")
	if _, ok := answerSubject(id); !ok {
		t.Fatalf("new id %q is not an evidence id", id)
	}
	at, ok := evidenceTime(id, now)
	if !ok || at.Before(now.Add(-time.Second)) || at.After(now.Add(time.Second)) {
		t.Errorf("evidenceTime(%q) = %v, %v; want about %v", id, at, ok, now)
	}
	if newEvidenceID("001190000001")[25:] == id[25:] {
		t.Error("two ids share their random bits")
	}
	for _, old := range []string{"001190000001." + strings.Repeat("0", 32), "001190000001." + strings.Repeat("cd", 16), "001190000001." + strings.Repeat("f", 32), "001190000001.0", "x"} {
		if at, ok := evidenceTime(old, now); ok {
			t.Errorf("evidenceTime(%q) = %v, want none", old, at)
		}
	}
}
