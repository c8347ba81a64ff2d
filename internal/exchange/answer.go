package exchange

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// The register's own answers (the person look-up, a verification) are
// signed by the audit log, not one by one: an ES256 signature an answer
// would halve the exchange's throughput (docs/benchmarks.md). The answer's
// audit entry holds a commitment to the answer, and the log's signed
// checkpoints sign it with every other entry. The commitment is SHA-256
// over the answer's evidence id and its body, base64: the id holds 80
// random bits and is given to the client alone (X-Populus-Evidence), so
// that the log's readers (auditors, the citizen) cannot test guesses of
// the values against it; the entry holds 64 bits of the id's SHA-256, by
// which the client's evidence request finds it (the commitment is checked
// after). The entry grows by about 80 bytes. The id begins with the
// person's PIN, whose entries the log indexes, and the time of the answer
// (milliseconds since 1970, 12 hex digits, before the random ones), from
// which the search for the entry starts, however old it is.
const (
	answerPrefix   = "answer "
	evidencePrefix = "evidence "
	// batchRowPrefix names, in the entry of a batch verification's row,
	// the row's number in the batch.
	batchRowPrefix = "batch row "
	// maxEvidenceScan bounds the entries about a person read to find an
	// answer's (10 pages of the log's index), from the first entry
	// recorded evidenceMargin after the answer's time, and, where the
	// answer is not among them (an id made before the time was in it),
	// from the newest.
	maxEvidenceScan = 2000
	// maxEvidenceWindow bounds the entries about a person read within
	// evidenceMargin of an answer's time: more than the rate limits let
	// the members' batches answer about one person in that while.
	maxEvidenceWindow = 500_000
	// evidenceMargin is how far the entries of concurrent writers may
	// stand out of time order in the log.
	evidenceMargin = time.Minute
)

// newAnswerEvidence returns the evidence id of an answer about subject
// and the detail its audit entry carries.
func newAnswerEvidence(subject string, body []byte) (id, detail string) {
	id = newEvidenceID(subject)
	return id, answerDetail(id, body)
}

// newEvidenceID is a new evidence id of an answer about subject: the PIN,
// a dot, the time in milliseconds (48 bits) and 80 random bits, 32 hex
// digits.
func newEvidenceID(subject string) string {
	var b [16]byte
	ms := time.Now().UnixMilli()
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return subject + "." + hex.EncodeToString(b[:])
}

// evidenceTime is the time an evidence id (answerSubject's) says its
// answer was made, or false when it says none that can be: ids made
// before the time was in them hold random bits there.
func evidenceTime(id string, now time.Time) (time.Time, bool) {
	_, random, _ := strings.Cut(id, ".")
	if len(random) < 12 {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(random[:12], 16, 64)
	t := time.UnixMilli(ms)
	return t, err == nil && t.Year() >= 2020 && !t.After(now.Add(evidenceMargin))
}

// answerDetail is the detail of the audit entry of the answer body under
// the evidence id.
func answerDetail(id string, body []byte) string {
	return answerPrefix + AnswerCommitment(id, body) + "; " + evidencePrefix + evidenceKey(id)
}

// AnswerCommitment is the commitment to an answer's body that its audit
// entry holds: base64 of SHA-256(evidence id, a newline, the body).
func AnswerCommitment(id string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{'\n'})
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// evidenceKey is what an answer's audit entry holds of its evidence id.
func evidenceKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:8])
}

// answerSubject returns the PIN an answer's evidence id begins with, or
// false when id is not one.
func answerSubject(id string) (string, bool) {
	subject, random, ok := strings.Cut(id, ".")
	if !ok || len(subject) != 12 || len(random) != 32 || strings.ContainsFunc(subject, func(r rune) bool { return r < '0' || r > '9' }) {
		return "", false
	}
	if _, err := hex.DecodeString(random); err != nil || strings.ToLower(random) != random {
		return "", false
	}
	return subject, true
}

// answerParts returns the commitment and the evidence key that an
// answer's entry detail ends with (answerDetail), or false. Only its last
// two parts count: what comes before them may hold text a client gave (the
// official's id), which must not pass for a commitment.
func answerParts(detail string) (commitment, key string, ok bool) {
	parts := strings.Split(detail, "; ")
	if len(parts) < 2 {
		return "", "", false
	}
	commitment, okC := strings.CutPrefix(parts[len(parts)-2], answerPrefix)
	key, okK := strings.CutPrefix(parts[len(parts)-1], evidencePrefix)
	return commitment, key, okC && okK
}

// isBatchRow reports whether an answer's entry detail is that of a batch
// verification's row: the part before the answer's two names the row.
func isBatchRow(detail string) bool {
	parts := strings.Split(detail, "; ")
	return len(parts) >= 3 && strings.HasPrefix(parts[len(parts)-3], batchRowPrefix)
}

// AnswerEvidence is the evidence of one of the register's answers: the
// audit entry that holds its commitment, with the inclusion proof of that
// entry against a signed checkpoint of the log.
type AnswerEvidence struct {
	ID         string      `json:"id"`
	Client     string      `json:"client"`
	Service    string      `json:"service"`
	RequestID  string      `json:"request_id"`
	Subject    string      `json:"subject"`
	Fields     []string    `json:"fields"`
	Commitment string      `json:"answer_commitment"`
	At         time.Time   `json:"at"`
	Proof      audit.Proof `json:"proof"`
}

// answerEvidence finds the evidence id of an answer to subsystem; to
// anyone else it does not exist.
func (x *Exchange) answerEvidence(ctx context.Context, subsystem, id string) (AnswerEvidence, error) {
	subject, ok := answerSubject(id)
	notFound := problem.New(problem.NotFound, "no evidence %s of an exchange of yours", id)
	if !ok {
		return AnswerEvidence{}, notFound
	}
	actor, key := auth.ActorID(auth.KindMember, subsystem), evidenceKey(id)
	match := func(e *audit.Entry) bool {
		_, k, ok := answerParts(e.Detail)
		return e.Actor == actor && e.Outcome == audit.OK && ok && k == key
	}
	// The person's entries recorded within evidenceMargin of the answer's
	// time, every one (a batch may answer thousands of rows about one
	// person at once); where the answer is not among them (an id made
	// before the time was in it), the newest.
	var err error = problem.New(problem.NotFound, "no such entry in the audit log")
	var e audit.Entry
	var entry int64
	if at, ok := evidenceTime(id, time.Now()); ok {
		first, ferr := x.audit.FirstAfter(ctx, at.Add(-evidenceMargin))
		before, berr := x.audit.FirstAfter(ctx, at.Add(evidenceMargin))
		if err := errors.Join(ferr, berr); err != nil {
			return AnswerEvidence{}, err
		}
		if first > 0 {
			e, entry, err = x.audit.FindIn(ctx, subject, first-1, before, maxEvidenceWindow, match)
		}
	}
	if problem.Is(err, problem.NotFound) {
		e, entry, err = x.audit.Find(ctx, subject, 0, maxEvidenceScan, match)
	}
	if problem.Is(err, problem.NotFound) {
		return AnswerEvidence{}, notFound
	}
	if err != nil {
		return AnswerEvidence{}, err
	}
	ev := AnswerEvidence{ID: id, Client: subsystem, Service: answerService(e.Action, e.Detail), RequestID: e.Request, Subject: subject, Fields: e.Fields, At: e.At.UTC()}
	ev.Commitment, _, _ = answerParts(e.Detail)
	if ev.Proof, err = x.audit.Prove(ctx, entry); err != nil {
		return AnswerEvidence{}, err
	}
	return ev, nil
}

// answerService is the service of an answer's entry, by its action and
// detail.
func answerService(action, detail string) string {
	switch {
	case action != string(ActionVerify):
		return Platform + "/person"
	case isBatchRow(detail):
		return Platform + "/verify-batch"
	}
	return Platform + "/verify"
}

// VerifyAnswer checks the evidence of an answer whose body the client
// kept: the proof's checkpoint is signed by verifierKey (the audit log's
// note verifier key, GET /api/v1/audit/checkpoint), the proof leads from
// the entry to it, the entry is the client's access to the evidence's
// subject, of its service, request, fields and time, and holds the
// commitment, and the commitment is that of body under the evidence id.
func VerifyAnswer(ev AnswerEvidence, body []byte, verifierKey string) error {
	if err := audit.VerifyProof(ev.Proof, verifierKey); err != nil {
		return err
	}
	leaf, err := audit.ParseLeaf(ev.Proof.LeafData)
	if err != nil {
		return err
	}
	commitment, key, ok := answerParts(leaf.Columns["detail"])
	at, atErr := db.ParseTime(leaf.Columns["at"])
	switch {
	case leaf.Columns["actor"] != auth.ActorID(auth.KindMember, ev.Client) || leaf.Columns["subject"] != ev.Subject:
		return fmt.Errorf("the entry is not an access of %s to %s", ev.Client, ev.Subject)
	// What the evidence says of the access is what the entry holds: the
	// service, the request, the fields, the time.
	case answerService(leaf.Columns["action"], leaf.Columns["detail"]) != ev.Service:
		return fmt.Errorf("the entry is an access to %s, not %s", answerService(leaf.Columns["action"], leaf.Columns["detail"]), ev.Service)
	case leaf.Columns["request"] != ev.RequestID:
		return fmt.Errorf("the entry is of request %q, not %q", leaf.Columns["request"], ev.RequestID)
	case leaf.Columns["fields"] != strings.Join(ev.Fields, ","):
		return fmt.Errorf("the entry disclosed %q, not %q", leaf.Columns["fields"], strings.Join(ev.Fields, ","))
	case atErr != nil || !at.Equal(ev.At):
		return fmt.Errorf("the entry was recorded at %s, not %s", leaf.Columns["at"], ev.At.Format(time.RFC3339Nano))
	case !ok || commitment != ev.Commitment:
		return errors.New("the entry does not hold the evidence's commitment")
	case key != evidenceKey(ev.ID):
		return errors.New("the entry is not that of this evidence id")
	case AnswerCommitment(ev.ID, body) != ev.Commitment:
		return errors.New("the body is not the answer the entry commits to")
	}
	return nil
}
