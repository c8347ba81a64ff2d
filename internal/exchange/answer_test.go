package exchange_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
)

// A look-up's answer carries its evidence id (so do a verification's and
// each answered row of a batch's); its client (no one else)
// downloads the evidence: the audit entry of the access, which commits to
// the answer, with its inclusion proof against a checkpoint. The evidence
// verifies with the body the client received and with no other; the log
// holds the commitment, never the values nor the evidence id.
func TestAnswerEvidence(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		res := e.do(t, e.client(hospital), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(hospital, "HEALTH-INSURANCE-CHECK"), "")
		id := res.header.Get(exchange.HeaderEvidence)
		if res.status != 200 || !strings.HasPrefix(id, e.Lan.PIN+".") {
			t.Fatalf("look-up: %d, evidence %q: %s", res.status, id, res.body)
		}
		again := e.do(t, e.client(hospital), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(hospital, "HEALTH-INSURANCE-CHECK"), "")
		if other := again.header.Get(exchange.HeaderEvidence); other == id || other == "" {
			t.Fatalf("a second answer's evidence id %q (first %q)", other, id)
		}

		r := e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+id, nil, "")
		if r.status != 200 {
			t.Fatalf("evidence: %d %s", r.status, r.body)
		}
		var ev exchange.AnswerEvidence
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Client != hospital || ev.Subject != e.Lan.PIN || ev.Service != person || ev.RequestID != res.header.Get(exchange.HeaderID) ||
			strings.Join(ev.Fields, ",") != "full_name,birth_date,sex,permanent_residence" {
			t.Errorf("evidence: %+v", ev)
		}
		if err := exchange.VerifyAnswer(ev, []byte(res.body), ""); err != nil {
			t.Errorf("the evidence does not verify with the answer: %v", err)
		}
		if err := exchange.VerifyAnswer(ev, []byte(again.body), ""); err != nil {
			t.Errorf("the same values answered again do not verify: %v", err)
		}
		// The same bytes under the other answer's id, a changed body, a
		// changed leaf, another commitment: each fails.
		forged := ev
		forged.ID = again.header.Get(exchange.HeaderEvidence)
		if exchange.VerifyAnswer(forged, []byte(res.body), "") == nil {
			t.Error("the evidence verifies under another answer's id")
		}
		if exchange.VerifyAnswer(ev, []byte(strings.Replace(res.body, "Lan", "Lân", 1)), "") == nil {
			t.Error("the evidence verifies with a changed body")
		}
		forged = ev
		forged.Proof.LeafData = []byte(strings.Replace(string(ev.Proof.LeafData), "HEALTH-INSURANCE-CHECK", "HEALTH-INSURANCE-CHECX", 1))
		if exchange.VerifyAnswer(forged, []byte(res.body), "") == nil {
			t.Error("the evidence verifies with a changed entry")
		}
		// Each claim of the evidence is the entry's: another service,
		// request, fields or time fails.
		for name, edit := range map[string]func(*exchange.AnswerEvidence){
			"service":    func(f *exchange.AnswerEvidence) { f.Service = verify },
			"request":    func(f *exchange.AnswerEvidence) { f.RequestID = "another" },
			"fields":     func(f *exchange.AnswerEvidence) { f.Fields = f.Fields[:1] },
			"time":       func(f *exchange.AnswerEvidence) { f.At = f.At.AddDate(-6, 0, 0) },
			"no request": func(f *exchange.AnswerEvidence) { f.RequestID = "" },
		} {
			forged = ev
			forged.Fields = slices.Clone(ev.Fields)
			edit(&forged)
			if exchange.VerifyAnswer(forged, []byte(res.body), "") == nil {
				t.Errorf("the evidence verifies with its %s changed", name)
			}
		}
		forged = ev
		forged.Commitment = exchange.AnswerCommitment(ev.ID, []byte(`{"pin":"`+e.Lan.PIN+`"}`))
		if exchange.VerifyAnswer(forged, []byte(`{"pin":"`+e.Lan.PIN+`"}`), "") == nil {
			t.Error("the evidence verifies with a commitment its entry does not hold")
		}

		// What the log holds: the commitment and the id's hash.
		leaf, err := audit.ParseLeaf(ev.Proof.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		detail := leaf.Columns["detail"]
		if strings.Contains(detail, id) || strings.Contains(string(ev.Proof.LeafData), e.Lan.FullName) || !strings.Contains(detail, "official VN-officer-042") {
			t.Errorf("the entry's detail: %q", detail)
		}

		// A verification's answer too.
		e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
		vres := e.do(t, e.client(bank), "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Lan.PIN+`","full_name":"Nguyễn Thị Lan","alive":true}`)
		vr := e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+vres.header.Get(exchange.HeaderEvidence), nil, "")
		var vev exchange.AnswerEvidence
		if vres.status != 200 || vr.status != 200 || json.Unmarshal([]byte(vr.body), &vev) != nil || vev.Service != verify ||
			strings.Join(vev.Fields, ",") != "full_name,alive" || !strings.Contains(vres.body, `"match":true`) {
			t.Fatalf("verification %d %s, its evidence %d %s", vres.status, vres.body, vr.status, vr.body)
		}
		if err := exchange.VerifyAnswer(vev, []byte(vres.body), ""); err != nil {
			t.Errorf("the verification's evidence: %v", err)
		}
		if exchange.VerifyAnswer(vev, []byte(strings.Replace(vres.body, "true", "false", 1)), "") == nil {
			t.Error("the verification's evidence verifies another answer")
		}

		// Each answered row of a batch names its evidence, which commits
		// to the row's line as sent (NDJSON or CSV); an error row has none.
		h := xroad(bank, "KYC")
		h["Content-Type"] = "application/x-ndjson"
		bres := e.do(t, e.client(bank), "POST", "/r1/"+batch, h, `{"pin":"`+e.Lan.PIN+`","full_name":"Nguyễn Thị Lan"}`+"\n"+`{"pin":"`+e.Lan.PIN+`","address":{"unit_code":"00004","detail":"x"}}`+"\n")
		h["Content-Type"] = "text/csv"
		cres := e.do(t, e.client(bank), "POST", "/r1/"+batch, h, "pin,full_name\n"+e.Lan.PIN+",Nguyễn Thị Lân\n")
		ndLines := strings.SplitAfter(bres.body, "\n")
		csvLines := strings.SplitAfter(cres.body, "\n")
		if bres.status != 200 || cres.status != 200 || len(ndLines) != 3 || len(csvLines) != 3 || strings.Contains(ndLines[1], `"evidence"`) {
			t.Fatalf("batches: %d %q, %d %q", bres.status, bres.body, cres.status, cres.body)
		}
		var row struct {
			Evidence string `json:"evidence"`
		}
		if err := json.Unmarshal([]byte(ndLines[0]), &row); err != nil {
			t.Fatal(err)
		}
		csvID := csvLines[1][strings.LastIndexByte(csvLines[1], ',')+1 : len(csvLines[1])-1]
		for i, c := range []struct{ id, line, other string }{{row.Evidence, ndLines[0], ndLines[1]}, {csvID, csvLines[1], csvLines[0]}} {
			r := e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+c.id, nil, "")
			var bev exchange.AnswerEvidence
			if r.status != 200 || json.Unmarshal([]byte(r.body), &bev) != nil || bev.Service != batch || strings.Join(bev.Fields, ",") != "full_name" ||
				bev.RequestID == "" {
				t.Fatalf("batch %d row's evidence %q: %d %s", i, c.id, r.status, r.body)
			}
			if err := exchange.VerifyAnswer(bev, []byte(c.line), ""); err != nil {
				t.Errorf("batch %d row's evidence: %v", i, err)
			}
			if exchange.VerifyAnswer(bev, []byte(c.other), "") == nil || exchange.VerifyAnswer(bev, []byte(strings.Replace(c.line, "1", "2", 1)), "") == nil {
				t.Errorf("batch %d row's evidence verifies another line", i)
			}
			leaf, err := audit.ParseLeaf(bev.Proof.LeafData)
			if err != nil || !leaf.DetailHas("batch row 1") {
				t.Errorf("batch %d row's entry: %v %q", i, err, leaf.Columns["detail"])
			}
		}

		// Only the last two parts of an entry's detail are the answer's:
		// text before them (the official's id a client gives, which may
		// not hold the separator) cannot pass for a commitment.
		if r := e.do(t, e.client(hospital), "GET", "/r1/"+person+"/"+e.Lan.PIN, map[string]string{exchange.HeaderClient: hospital, exchange.HeaderIssue: "HEALTH-INSURANCE-CHECK",
			exchange.HeaderUserID: "u; answer x"}, ""); r.status != 422 || !strings.Contains(r.body, exchange.HeaderUserID) {
			t.Errorf("an official's id with ;: %d %s", r.status, r.body)
		}
		forgedID, realID := e.Lan.PIN+"."+strings.Repeat("ab", 16), e.Lan.PIN+"."+strings.Repeat("cd", 16)
		forgedBody := []byte(`{"pin":"` + e.Lan.PIN + `","status":"dead"}` + "\n")
		fake, real := exchange.AnswerCommitment(forgedID, forgedBody), exchange.AnswerCommitment(realID, []byte("{}\n"))
		if err := e.Log.Record(e.Ctx, audit.OfActor(auth.ActorID(auth.KindMember, hospital), exchange.ActionLookup, e.Lan.PIN).With(
			"official u; answer "+fake+"; evidence "+exchange.EvidenceKey(forgedID)+"; answer "+real+"; evidence "+exchange.EvidenceKey(realID))); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+forgedID, nil, ""); r.status != 404 {
			t.Errorf("evidence of an id named before the answer's parts: %d %s", r.status, r.body)
		}
		r = e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+realID, nil, "")
		var rev exchange.AnswerEvidence
		if r.status != 200 || json.Unmarshal([]byte(r.body), &rev) != nil || rev.Commitment != real || exchange.VerifyAnswer(rev, []byte("{}\n"), "") != nil {
			t.Fatalf("the entry's own evidence: %d %s", r.status, r.body)
		}
		rev.ID, rev.Commitment = forgedID, fake
		if exchange.VerifyAnswer(rev, forgedBody, "") == nil {
			t.Error("a commitment written before the answer's parts verifies")
		}

		// However many entries about the person follow it (more than
		// the 2,000 read to find it, here the accesses of the next hour),
		// an answer's evidence is served: the search starts at the time
		// the id holds.
		newer := make([]audit.Entry, 2100)
		for i := range newer {
			newer[i] = audit.OfActor(auth.ActorID(auth.KindMember, bank), exchange.ActionLookup, e.Lan.PIN)
			newer[i].At = time.Now().Add(2*time.Minute + time.Duration(i)*time.Second)
		}
		if err := e.Log.Record(e.Ctx, newer...); err != nil {
			t.Fatal(err)
		}
		r = e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+id, nil, "")
		var old exchange.AnswerEvidence
		if r.status != 200 || json.Unmarshal([]byte(r.body), &old) != nil || exchange.VerifyAnswer(old, []byte(res.body), "") != nil {
			t.Fatalf("the evidence of an answer followed by 2,100 entries about the person: %d %s", r.status, r.body)
		}

		// A batch answering 3,000 rows about the person at once: its
		// first row's evidence too, behind the 2,999 entries of the same
		// moment.
		var many strings.Builder
		for range 3000 {
			many.WriteString(`{"pin":"` + e.Lan.PIN + `","full_name":"Nguyễn Thị Lan"}` + "\n")
		}
		h = xroad(bank, "KYC")
		h["Content-Type"] = "application/x-ndjson"
		if bres = e.do(t, e.client(bank), "POST", "/r1/"+batch, h, many.String()); bres.status != 200 {
			t.Fatalf("a batch of 3,000 rows: %d %s", bres.status, bres.body[:min(len(bres.body), 300)])
		}
		first, _, _ := strings.Cut(bres.body, "\n")
		if err := json.Unmarshal([]byte(first), &row); err != nil || row.Evidence == "" {
			t.Fatalf("the batch's first row: %q %v", first, err)
		}
		if r := e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+row.Evidence, nil, ""); r.status != 200 {
			t.Errorf("the evidence of the first of 3,000 rows about the person: %d %s", r.status, r.body)
		}

		// Not to another member, nor for a made-up or malformed id.
		if r := e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+id, nil, ""); r.status != 404 {
			t.Errorf("evidence to another member: %d %s", r.status, r.body)
		}
		for _, bad := range []string{e.Lan.PIN + "." + strings.Repeat("0", 32), e.Minh.PIN + id[12:], id[:len(id)-1], strings.ToUpper(id), id + "0"} {
			if r := e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+bad, nil, ""); r.status != 404 {
				t.Errorf("evidence %q: %d %s", bad, r.status, r.body)
			}
		}
	})
}
