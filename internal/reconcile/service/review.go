package service

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// ReviewReconcile is an officer's decision on a record a job left for
// review: accept one of its candidates, reject them all, or mark the person
// as not in the register. It is held by the roles that submit jobs.
var ReviewReconcile = auth.Declare("reconcile.review", auth.Grant{Role: auth.ServiceOfficer})

// Outcome is an officer's decision on a record left for review.
type Outcome string

const (
	Accepted      Outcome = "accepted"        // one candidate is the person
	Rejected      Outcome = "rejected"        // none of the candidates is
	NotInRegister Outcome = "not_in_register" // the person is not in the register
)

// Outcomes lists the decisions an officer may take.
func Outcomes() []Outcome { return []Outcome{Accepted, Rejected, NotInRegister} }

func (o Outcome) valid() bool { return slices.Contains(Outcomes(), o) }

// MaxReviewReason bounds a review's reason, in characters.
const MaxReviewReason = 500

// Review is one officer's decision on a record.
type Review struct {
	Outcome    Outcome   `json:"outcome"`
	PIN        string    `json:"pin,omitempty"` // the candidate accepted
	Reviewer   string    `json:"reviewer"`
	ReviewedAt time.Time `json:"reviewed_at"`
	Reason     string    `json:"reason,omitempty"`
	// Revision is 1 for the record's first decision; a later decision
	// replaces it and the earlier ones remain its history.
	Revision int `json:"revision"`
}

// ReviewItem is a record left for review, as the list shows it: what the
// engine said, and the current decision if an officer took one. It names
// no person: the candidates are shown, and audited, one record at a time.
type ReviewItem struct {
	Line     int    `json:"line"`
	ID       string `json:"id"`
	Decision string `json:"decision"` // the engine's: ambiguous or not_found
	Reason   string `json:"reason"`
	// ReasonKind is the reason with its numbers left out (%s), to filter
	// by and to translate.
	ReasonKind     string  `json:"reason_kind"`
	Probability    float64 `json:"probability"`
	CandidateCount int     `json:"candidate_count"`
	// Review is the current decision, without the PIN accepted; nil while
	// the record waits.
	Review *Review `json:"review,omitempty"`
}

// ReviewFilter selects records of the review list; zero values select all.
type ReviewFilter struct {
	Decision string // ambiguous or not_found
	Reason   string // the kind of the engine's reason (ReasonKind)
	Status   string // pending or reviewed
	// MinProbability leaves out the records whose best candidate is less
	// likely (0 to 1).
	MinProbability float64
	Limit          int
	Cursor         string // the line after which the page starts
}

// ReviewList is a page of the review list.
type ReviewList struct {
	Items      []ReviewItem `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
	// Total, Pending and Reviewed count the job's records left for review
	// (all of them, whatever the filter); Reasons are the kinds of the
	// engine's reasons among them, to filter by.
	Total    int      `json:"total"`
	Pending  int      `json:"pending"`
	Reviewed int      `json:"reviewed"`
	Reasons  []string `json:"reasons"`
}

// maxReasons bounds the distinct reasons the list offers to filter by.
const maxReasons = 50

// decisionRow is a row of decisions.csv read back.
type decisionRow struct {
	line                int
	id, decision, pin   string
	probability, weight float64
	// rawCandidates is the candidates column, read into candidates only
	// for the record asked for (findDecision).
	rawCandidates string
	candidates    []engine.Candidate
	reason        string
}

// reviewable reports whether the engine left the record for an officer:
// ambiguous, or not found with candidates below the review floor.
func (r *decisionRow) reviewable() bool {
	return r.decision == engine.Ambiguous.String() || (r.decision == engine.NotFound.String() && r.rawCandidates != "")
}

func (r *decisionRow) item() ReviewItem {
	kind, _ := ReasonKind(r.reason)
	return ReviewItem{Line: r.line, ID: r.id, Decision: r.decision, Reason: r.reason, ReasonKind: kind,
		Probability: r.probability, CandidateCount: r.count()}
}

// ReasonKind returns an engine's reason as a format, its numbers (a line,
// bits, a probability such as 2.11e-06, a threshold) replaced by %s, and
// the numbers: the records of one kind share the format, which the pages
// translate. It reads the reason once, without a regular expression: the
// review list asks it of every record left for review.
func ReasonKind(reason string) (format string, args []any) {
	var b strings.Builder
	digits := func(i int) int {
		for i < len(reason) && '0' <= reason[i] && reason[i] <= '9' {
			i++
		}
		return i
	}
	for i := 0; i < len(reason); {
		c := reason[i]
		if c < '0' || c > '9' {
			if c == '%' {
				b.WriteByte('%')
			}
			b.WriteByte(c)
			i++
			continue
		}
		j := digits(i)
		if j+1 < len(reason) && reason[j] == '.' && '0' <= reason[j+1] && reason[j+1] <= '9' {
			j = digits(j + 1)
		}
		if j+1 < len(reason) && reason[j] == 'e' {
			k := j + 1
			if reason[k] == '-' || reason[k] == '+' {
				k++
			}
			if k < len(reason) && '0' <= reason[k] && reason[k] <= '9' {
				j = digits(k)
			}
		}
		args = append(args, reason[i:j])
		b.WriteString("%s")
		i = j
	}
	return b.String(), args
}

// uncell undoes the engine's spreadsheet neutralisation of a text cell.
func uncell(s string) string { return strings.TrimPrefix(s, "'") }

// count is the number of candidates, from their column.
func (r *decisionRow) count() int {
	if r.rawCandidates == "" {
		return 0
	}
	return strings.Count(r.rawCandidates, "; ") + 1
}

// parseCandidates reads the candidates column: "PIN w=… p=…[ (other name)]; …".
func parseCandidates(s string) ([]engine.Candidate, error) {
	s = uncell(s)
	if s == "" {
		return nil, nil
	}
	var out []engine.Candidate
	for part := range strings.SplitSeq(s, "; ") {
		f := strings.Fields(part)
		if len(f) < 3 || !strings.HasPrefix(f[1], "w=") || !strings.HasPrefix(f[2], "p=") {
			return nil, fmt.Errorf("candidate %q", part)
		}
		w, err1 := strconv.ParseFloat(f[1][2:], 64)
		p, err2 := strconv.ParseFloat(f[2][2:], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("candidate %q: %w", part, err)
		}
		out = append(out, engine.Candidate{PIN: f[0], Weight: w, Probability: p, OtherName: strings.Contains(part, "(other name)")})
	}
	return out, nil
}

// scanDecisions streams the job's decisions.csv, calling fn for each record
// left for review; fn returns false to stop.
func (s *Service) scanDecisions(id string, fn func(r *decisionRow) bool) error {
	f, err := os.Open(filepath.Join(s.jobDir(id), decisionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return problem.New(problem.NotFound, "the job has no %s", decisionsFile)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return fmt.Errorf("%s: %w", decisionsFile, err)
	}
	var r decisionRow
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", decisionsFile, err)
		}
		if len(row) < len(engine.DecisionsHeader) {
			return fmt.Errorf("%s: a row of %d columns", decisionsFile, len(row))
		}
		// Only the records left for review are read further: most rows
		// are links (see reviewable).
		if row[2] != engine.Ambiguous.String() && (row[2] != engine.NotFound.String() || row[6] == "") {
			continue
		}
		r = decisionRow{id: uncell(row[0]), decision: row[2], pin: uncell(row[3]), reason: uncell(row[8])}
		if r.line, err = strconv.Atoi(row[1]); err != nil {
			return fmt.Errorf("%s: line %q", decisionsFile, row[1])
		}
		r.probability, _ = strconv.ParseFloat(row[4], 64)
		r.weight, _ = strconv.ParseFloat(row[5], 64)
		r.rawCandidates = uncell(row[6])
		if !fn(&r) {
			return nil
		}
	}
}

// reviewJob returns the job if p may do a on its review: the job's own
// guard (another member's job is not found), a role that may read people
// (the review names them), and a job that is done.
func (s *Service) reviewJob(ctx context.Context, p auth.Principal, a auth.Action, id string) (Job, error) {
	j, err := s.own(ctx, p, a, id)
	if err != nil {
		return Job{}, err
	}
	if err := s.cfg.Guard.Role(ctx, p, auth.ReadPerson, subject(id)); err != nil {
		return Job{}, err
	}
	if j.State != Done {
		return Job{}, problem.New(problem.Conflict, "the job is %s; its results and their review are available once it is done", j.State)
	}
	return j, nil
}

// Reviews returns a page of the records the job left for review.
func (s *Service) Reviews(ctx context.Context, p auth.Principal, id string, f ReviewFilter) (ReviewList, error) {
	if f.Decision != "" && f.Decision != engine.Ambiguous.String() && f.Decision != engine.NotFound.String() {
		return ReviewList{}, problem.Field("decision", "is ambiguous or not_found")
	}
	if f.Status != "" && f.Status != "pending" && f.Status != "reviewed" {
		return ReviewList{}, problem.Field("status", "is pending or reviewed")
	}
	if !(f.MinProbability >= 0 && f.MinProbability <= 1) {
		return ReviewList{}, problem.Field("min_probability", "is a probability from 0 to 1")
	}
	after := 0
	if f.Cursor != "" {
		n, err := strconv.Atoi(f.Cursor)
		if err != nil || n < 0 {
			return ReviewList{}, problem.Field("cursor", "is not a cursor this list returned")
		}
		after = n
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if _, err := s.reviewJob(ctx, p, auth.ReadReconcile, id); err != nil {
		return ReviewList{}, err
	}
	current, err := s.store.currentReviews(ctx, id)
	if err != nil {
		return ReviewList{}, err
	}
	return s.reviewPage(id, f, after, current)
}

// reviewPage reads a page of the review list from the job's decisions, in
// one pass over the file, which also counts the records and their reasons.
func (s *Service) reviewPage(id string, f ReviewFilter, after int, current map[int]Review) (ReviewList, error) {
	out := ReviewList{Items: []ReviewItem{}, Reasons: []string{}}
	err := s.scanDecisions(id, func(r *decisionRow) bool {
		if !r.reviewable() {
			return true
		}
		rv, reviewed := current[r.line]
		out.Total++
		if reviewed {
			out.Reviewed++
		} else {
			out.Pending++
		}
		kind, _ := ReasonKind(r.reason)
		if len(out.Reasons) < maxReasons && kind != "" && !slices.Contains(out.Reasons, kind) {
			out.Reasons = append(out.Reasons, kind)
		}
		switch {
		case r.line <= after, f.Decision != "" && r.decision != f.Decision, f.Reason != "" && kind != f.Reason,
			f.Status == "pending" && reviewed, f.Status == "reviewed" && !reviewed, r.probability < f.MinProbability:
			return true
		}
		if len(out.Items) == f.Limit {
			if out.NextCursor == "" {
				out.NextCursor = strconv.Itoa(out.Items[len(out.Items)-1].Line)
			}
			return true
		}
		it := r.item()
		if reviewed {
			rv.PIN = ""
			it.Review = &rv
		}
		out.Items = append(out.Items, it)
		return true
	})
	slices.Sort(out.Reasons)
	return out, err
}

// SectorValues are a sector record's values as the file gave them and as
// they were understood.
type SectorValues struct {
	Line      int               `json:"line"`
	ID        string            `json:"id"`
	FullName  string            `json:"full_name"`
	BirthDate civil.Date        `json:"birth_date"`
	Sex       civil.Sex         `json:"sex"`
	PIN       string            `json:"pin,omitempty"`
	CMND      string            `json:"cmnd,omitempty"`
	Province  string            `json:"province,omitempty"` // current unit code
	Commune   string            `json:"commune,omitempty"`  // current unit code
	Address   string            `json:"address,omitempty"`
	Raw       map[string]string `json:"raw"` // the mapped columns' cells, by field
	Notes     []string          `json:"notes,omitempty"`
}

// FieldWeight is one comparison's part in a candidate's match weight.
type FieldWeight struct {
	Comparison string  `json:"comparison"`
	Level      string  `json:"level"` // the level's label; "missing" when either value is
	M          float64 `json:"m"`
	U          float64 `json:"u"`
	TF         bool    `json:"tf,omitempty"` // U is the register's frequency of the value
	Weight     float64 `json:"weight"`       // bits
}

// ReviewCandidate is a candidate person beside the record.
type ReviewCandidate struct {
	Rank        int           `json:"rank"` // 1 for the best
	PIN         string        `json:"pin"`
	FullName    string        `json:"full_name"`
	BirthDate   civil.Date    `json:"birth_date"`
	Sex         civil.Sex     `json:"sex"`
	Places      []Place       `json:"places"`
	Weight      float64       `json:"weight"`
	Probability float64       `json:"probability"`
	OtherName   bool          `json:"other_name,omitempty"` // scored on one of the person's other names
	Fields      []FieldWeight `json:"fields"`               // the comparisons with the record, in the model's order
	// Missing is true when the person is no longer in the register's
	// index (removed since the job ran): only the PIN and the weights are
	// known.
	Missing bool `json:"missing,omitempty"`
}

// Place is an address in today's units.
type Place struct {
	Province string `json:"province"`
	Commune  string `json:"commune,omitempty"`
}

// ReviewRecord is one record left for review with its candidates.
type ReviewRecord struct {
	ReviewItem
	Record      SectorValues      `json:"record"`
	PriorWeight float64           `json:"prior_weight"`
	Candidates  []ReviewCandidate `json:"candidates"`
	// History is every decision taken on the record, the current one last.
	History []Review `json:"history"`
}

// findDecision returns the decision row of line, which must be left for
// review.
func (s *Service) findDecision(id string, line int) (decisionRow, error) {
	var found *decisionRow
	err := s.scanDecisions(id, func(r *decisionRow) bool {
		if r.line == line {
			c := *r
			found = &c
			return false
		}
		return true
	})
	if err != nil {
		return decisionRow{}, err
	}
	if found == nil || !found.reviewable() {
		return decisionRow{}, problem.New(problem.NotFound, "line %d of job %s is not a record left for review", line, id)
	}
	if found.candidates, err = parseCandidates(found.rawCandidates); err != nil {
		return decisionRow{}, fmt.Errorf("%s, line %d: %w", decisionsFile, line, err)
	}
	return *found, nil
}

// ReviewRecord returns a record left for review beside its candidates.
// Every candidate shown is a disclosure: it is recorded as reconcile.read
// against the candidate's PIN before it is returned.
func (s *Service) ReviewRecord(ctx context.Context, p auth.Principal, id string, line int) (ReviewRecord, error) {
	j, err := s.reviewJob(ctx, p, auth.ReadReconcile, id)
	if err != nil {
		return ReviewRecord{}, err
	}
	r, err := s.findDecision(id, line)
	if err != nil {
		return ReviewRecord{}, err
	}
	plan, err := s.planOf(id)
	if err != nil {
		return ReviewRecord{}, err
	}
	rec, err := s.sectorRecord(j, line, plan.Input.MonthFirst)
	if err != nil {
		return ReviewRecord{}, err
	}
	scorer, err := scorerOf(plan)
	if err != nil {
		return ReviewRecord{}, err
	}
	x, err := s.index.get(ctx)
	if err != nil {
		return ReviewRecord{}, err
	}
	prepared := reconcile.NewPreparer().Record(engine.FieldsOf(&rec))
	out := ReviewRecord{ReviewItem: r.item(), Record: sectorValues(&rec, &prepared), Candidates: []ReviewCandidate{}}
	pins := make([]string, 0, len(r.candidates))
	for i, c := range r.candidates {
		rc := ReviewCandidate{Rank: i + 1, PIN: c.PIN, Weight: c.Weight, Probability: c.Probability, OtherName: c.OtherName, Places: []Place{}}
		if k, ok := x.FindPIN(c.PIN); ok {
			reg := x.Record(k)
			rc.FullName, rc.BirthDate, rc.Sex = titleCase(reg.Name()), reg.BirthDate(), reg.Sex()
			rc.Places = placesOf(reg)
			e := scorer.Explain(&prepared, reg)
			out.PriorWeight = e.Prior
			for _, t := range e.Terms {
				rc.Fields = append(rc.Fields, FieldWeight{Comparison: t.Comparison, Level: t.Label, M: t.M, U: t.U, TF: t.TF, Weight: t.Weight})
			}
		} else {
			rc.Missing = true
		}
		out.Candidates = append(out.Candidates, rc)
		pins = append(pins, c.PIN)
	}
	if out.History, err = s.store.reviewHistory(ctx, id, line); err != nil {
		return ReviewRecord{}, err
	}
	if n := len(out.History); n > 0 {
		cur := out.History[n-1]
		out.Review = &cur
	}
	// A disclosure is a read: every person shown, and the person a
	// decision accepted, is recorded before the answer leaves.
	for _, h := range out.History {
		if h.PIN != "" && !slices.Contains(pins, h.PIN) {
			pins = append(pins, h.PIN)
		}
	}
	if err := s.cfg.Guard.Disclosed(ctx, p, auth.ReadReconcile, fmt.Sprintf("reconcile job %s, review of line %d", id, line), pins...); err != nil {
		return ReviewRecord{}, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// sectorRecord reads the record of line from the job's uploaded file, its
// dates month-first when monthFirst (the plan's Input.MonthFirst) says so.
func (s *Service) sectorRecord(j Job, line int, monthFirst string) (sector.Record, error) {
	m, err := mappingOf(j)
	if err != nil {
		return sector.Record{}, err
	}
	f, err := os.Open(filepath.Join(s.jobDir(j.ID), inputFile(j.FileName)))
	if err != nil {
		return sector.Record{}, fmt.Errorf("the uploaded file: %w", err)
	}
	defer f.Close()
	rows, err := sector.OpenRows(f, inputFile(j.FileName))
	if err != nil {
		return sector.Record{}, err
	}
	if c, ok := rows.(*sector.CSV); ok {
		// The rows before it are split, not read.
		rows = &csvFrom{CSV: c, line: line}
	}
	if c, ok := rows.(io.Closer); ok {
		defer c.Close()
	}
	rd, err := sector.NewReader(rows, m)
	if err != nil {
		return sector.Record{}, err
	}
	// Dates are read in the order of day and month the run learnt from
	// the file's first rows, not from the rows after this one.
	rd.FollowDateOrder(monthFirst)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return sector.Record{}, fmt.Errorf("line %d is not in the uploaded file", line)
		}
		if err != nil && !sector.IsRowError(err) {
			return sector.Record{}, err
		}
		if err == nil && rec.Line == line {
			return rec, nil
		}
		if rec.Line > line {
			return sector.Record{}, fmt.Errorf("line %d is not a record of the uploaded file", line)
		}
	}
}

// csvFrom is the rows of a CSV file from the row on line on: the rows
// before it are skipped unread.
type csvFrom struct {
	*sector.CSV
	line int
}

func (c *csvFrom) Next() ([]string, int, error) {
	for {
		v, line, err := c.CSV.Next()
		if line >= c.line || (err != nil && !sector.IsRowError(err)) {
			return v, line, err
		}
	}
}

// planOf reads the job's plan: its model and what the run learnt of the
// file.
func (s *Service) planOf(id string) (engine.Plan, error) {
	var p engine.Plan
	b, err := os.ReadFile(filepath.Join(s.jobDir(id), planFile))
	if err != nil {
		return p, fmt.Errorf("the job's plan: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("the job's plan: %w", err)
	}
	return p, nil
}

// scorerOf rebuilds the job's model from its plan.
func scorerOf(p engine.Plan) (*reconcile.Scorer, error) {
	m := reconcile.NewModel(reconcile.DefaultComparisons()...)
	if err := m.SetParameters(p.Model); err != nil {
		return nil, fmt.Errorf("the job's model: %w", err)
	}
	return m.Scorer()
}

func sectorValues(rec *sector.Record, prepared *reconcile.Record) SectorValues {
	v := SectorValues{Line: rec.Line, ID: rec.ID, FullName: rec.FullName, BirthDate: rec.BirthDate, Sex: rec.Sex,
		PIN: rec.PIN, CMND: rec.CMND, Address: rec.Address, Raw: map[string]string{}}
	if c, pr, ok := prepared.Place(0); ok {
		v.Province = fmt.Sprintf("%02d", pr)
		if c != 0 {
			v.Commune = fmt.Sprintf("%05d", c)
		}
	}
	for _, f := range sector.Fields() {
		if raw := rec.Raw(f); raw != "" {
			v.Raw[f.String()] = raw
		}
	}
	for _, n := range rec.Notes {
		v.Notes = append(v.Notes, n.String())
	}
	return v
}

func placesOf(r *reconcile.Record) []Place {
	out := []Place{}
	for i := 0; ; i++ {
		c, pr, ok := r.Place(i)
		if !ok {
			return out
		}
		pl := Place{Province: fmt.Sprintf("%02d", pr)}
		if c != 0 {
			pl.Commune = fmt.Sprintf("%05d", c)
		}
		if !slices.Contains(out, pl) { // the same place as two kinds of address
			out = append(out, pl)
		}
	}
}

// titleCase writes a cleaned (lower-case) name the way the register does,
// each word capitalised.
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + w[n:]
	}
	return strings.Join(words, " ")
}

// ReviewDecision is what an officer decides on a record.
type ReviewDecision struct {
	Outcome Outcome `json:"outcome"`
	// Candidate is the rank of the candidate accepted (1 for the best);
	// only with accepted.
	Candidate int    `json:"candidate,omitempty"`
	Reason    string `json:"reason"`
}

// reviewReason checks a review's reason: text of at most MaxReviewReason
// characters, without control or bidirectional-control characters, trimmed
// and single-spaced in NFC; it may not begin with a spreadsheet's formula
// character. It returns the reason, or adds why it is refused to fs and
// returns ok false.
func reviewReason(s string, fs *problem.Fields) (reason string, ok bool) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		fs.Add("reason", "is not valid UTF-8 text (invalid bytes or a lone surrogate)")
		return "", false
	}
	for _, r := range s {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			fs.Add("reason", "may not hold bidirectional-control characters (U+202A–U+202E, U+2066–U+2069)")
			return "", false
		case unicode.IsControl(r):
			fs.Add("reason", "may not hold control characters such as tab or newline")
			return "", false
		}
	}
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	if n := utf8.RuneCountInString(s); n > MaxReviewReason {
		fs.Add("reason", "is longer than %d characters", MaxReviewReason)
		return "", false
	}
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		fs.Add("reason", "may not begin with =, +, - or @")
		return "", false
	}
	return s, true
}

// Decide records an officer's decision on a record left for review. A
// later decision on the same record replaces it; the earlier ones remain
// its history. The decision and its audit entry (reconcile.review) commit
// together.
func (s *Service) Decide(ctx context.Context, p auth.Principal, id string, line int, d ReviewDecision) (Review, error) {
	var fs problem.Fields
	if !d.Outcome.valid() {
		fs.Add("outcome", "is accepted, rejected or not_in_register")
	}
	reason, ok := reviewReason(d.Reason, &fs)
	if ok && reason == "" && d.Outcome == Accepted {
		fs.Add("reason", "is required to accept a candidate")
	}
	if d.Outcome == Accepted && d.Candidate < 1 {
		fs.Add("candidate", "is the rank of the candidate accepted, from 1")
	}
	if d.Outcome != Accepted && d.Candidate != 0 {
		fs.Add("candidate", "is given only to accept a candidate")
	}
	if err := fs.Err(); err != nil {
		return Review{}, err
	}
	if _, err := s.reviewJob(ctx, p, ReviewReconcile, id); err != nil {
		return Review{}, err
	}
	r, err := s.findDecision(id, line)
	if err != nil {
		return Review{}, err
	}
	rv := Review{Outcome: d.Outcome, Reviewer: p.Username, ReviewedAt: time.Now().UTC().Truncate(time.Second), Reason: reason}
	if d.Outcome == Accepted {
		if d.Candidate > len(r.candidates) {
			return Review{}, problem.Field("candidate", "is beyond the record's %d candidates", len(r.candidates))
		}
		rv.PIN = r.candidates[d.Candidate-1].PIN
	}
	detail := fmt.Sprintf("job %s, line %d: %s", id, line, rv.Outcome)
	if rv.PIN != "" {
		detail += " " + rv.PIN
	}
	if rv.Reason != "" {
		detail += ": " + rv.Reason
	}
	err = s.store.saveReview(ctx, id, line, r.id, p, &rv, func(tx *sql.Tx) error {
		return s.cfg.Audit.RecordTx(ctx, tx, audit.Of(p, ReviewReconcile, subject(id)).With(detail))
	})
	return rv, err
}

// Reviewed-decisions export.
const reviewedFile = "reviews.csv"

// ReviewsHeader is the header of the reviewed-decisions CSV: each record's
// current decision, with the engine's decision it replaces.
var ReviewsHeader = []string{"id", "line", "engine_decision", "engine_probability", "outcome", "pin", "reviewed_by", "reviewed_at", "review_reason", "revision"}

// reviewColumns are the columns the corrections download adds to the
// engine's: who accepted a link, when and why; empty on the engine's rows.
var reviewColumns = []string{"reviewed_by", "reviewed_at", "review_reason"}

// reviewedDecision is the corrections file's decision of a link an officer
// accepted.
const reviewedDecision = "reviewed"

// writeCorrections writes the engine's corrections with the review columns,
// then a row for each link an officer accepted: the PIN the record is
// linked to, filled or corrected.
func (s *Service) writeCorrections(ctx context.Context, w io.Writer, j Job, current map[int]Review) error {
	f, err := os.Open(filepath.Join(s.jobDir(j.ID), correctionsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	cw := csv.NewWriter(w)
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", correctionsFile, err)
	}
	if err := cw.Write(append(slices.Clone(head), reviewColumns...)); err != nil {
		return err
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", correctionsFile, err)
		}
		if err := cw.Write(append(row, "", "", "")); err != nil {
			return err
		}
	}
	if err := s.accepted(j, current, func(r *decisionRow, rv Review, pinColumn string) error {
		action := engine.ActionFill
		if r.pin != "" || pinColumn == "" {
			action = engine.ActionCorrect
		}
		// The engine's columns: id, field, sector_value, register_value,
		// pin, line, column, action, register_code, decision, probability.
		row := []string{cell(r.id), "pin", "", cell(rv.PIN), cell(rv.PIN), strconv.Itoa(r.line), cell(pinColumn), action, "", reviewedDecision,
			formatProbability(r, rv.PIN), cell(rv.Reviewer), db.FormatTime(rv.ReviewedAt), cell(rv.Reason)}
		return cw.Write(row)
	}); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// accepted calls fn for each record whose current decision accepts a
// candidate, in file order, with the name of the file's PIN column.
func (s *Service) accepted(j Job, current map[int]Review, fn func(r *decisionRow, rv Review, pinColumn string) error) error {
	pinColumn := ""
	if m, err := mappingOf(j); err == nil {
		if e, ok := m.Entry(sector.FieldPIN); ok {
			pinColumn = e.Column
		}
	}
	var ferr error
	err := s.scanDecisions(j.ID, func(r *decisionRow) bool {
		rv, ok := current[r.line]
		if !ok || rv.Outcome != Accepted {
			return true
		}
		ferr = fn(r, rv, pinColumn)
		return ferr == nil
	})
	return errors.Join(err, ferr)
}

// formatProbability is the probability of the candidate pin of r.
func formatProbability(r *decisionRow, pin string) string {
	cs, _ := parseCandidates(r.rawCandidates)
	for _, c := range cs {
		if c.PIN == pin {
			return strconv.FormatFloat(c.Probability, 'f', 6, 64)
		}
	}
	return ""
}

// writeReviews writes the reviewed-decisions CSV: the current decision of
// every record reviewed, in file order.
func (s *Service) writeReviews(w io.Writer, j Job, current map[int]Review) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReviewsHeader); err != nil {
		return err
	}
	err := s.scanDecisions(j.ID, func(r *decisionRow) bool {
		rv, ok := current[r.line]
		if !ok {
			return true
		}
		prob := ""
		if r.rawCandidates != "" {
			prob = strconv.FormatFloat(r.probability, 'f', 6, 64)
		}
		return cw.Write([]string{cell(r.id), strconv.Itoa(r.line), r.decision, prob, string(rv.Outcome), cell(rv.PIN),
			cell(rv.Reviewer), db.FormatTime(rv.ReviewedAt), cell(rv.Reason), strconv.Itoa(rv.Revision)}) == nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// cell neutralises a text cell for spreadsheets as the engine's outputs do
// (OWASP CSV injection): a value beginning with =, +, -, @, a tab, a
// carriage return or a quote gets a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Review storage.

const reviewColumnsSQL = `outcome, pin, reviewer, reviewed_at, reason, revision`

// scanReview scans reviewColumnsSQL after the columns of first.
func scanReview(sc db.Scanner, first ...any) (Review, error) {
	var rv Review
	var outcome string
	err := sc.Scan(append(first, &outcome, &rv.PIN, &rv.Reviewer, db.Time{T: &rv.ReviewedAt}, &rv.Reason, &rv.Revision)...)
	rv.Outcome = Outcome(outcome)
	return rv, err
}

// currentReviews returns the current decision of each reviewed record of a
// job, by line. Reviews are an officer's work, thousands at most per job.
func (s *store) currentReviews(ctx context.Context, id string) (map[int]Review, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT line, `+reviewColumnsSQL+` FROM reconcile_reviews WHERE job_id = $1 AND current = 1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]Review{}
	for rows.Next() {
		var line int
		rv, err := scanReview(rows, &line)
		if err != nil {
			return nil, err
		}
		out[line] = rv
	}
	return out, rows.Err()
}

// reviewHistory returns every decision on a record, the first first.
func (s *store) reviewHistory(ctx context.Context, id string, line int) ([]Review, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewColumnsSQL+` FROM reconcile_reviews WHERE job_id = $1 AND line = $2 ORDER BY revision`, id, line)
	out, err := db.Collect(rows, err, func(sc db.Scanner) (Review, error) { return scanReview(sc) })
	if out == nil {
		out = []Review{}
	}
	return out, err
}

// saveReview stores rv as the record's current decision, the earlier ones
// kept as history, and runs also (the audit entry) in the same
// transaction. Two officers deciding at once: one wins, the other is told
// to look again (409).
func (s *store) saveReview(ctx context.Context, id string, line int, recordID string, p auth.Principal, rv *Review, also func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var last int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) FROM reconcile_reviews WHERE job_id = $1 AND line = $2`, id, line).Scan(&last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reconcile_reviews SET current = 0 WHERE job_id = $1 AND line = $2 AND current = 1`, id, line); err != nil {
		return err
	}
	rv.Revision = last + 1
	_, err = tx.ExecContext(ctx, `INSERT INTO reconcile_reviews (job_id, line, revision, record_id, outcome, pin, reviewer_staff_id, reviewer, reviewed_at, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, line, rv.Revision, recordID, string(rv.Outcome), rv.PIN, p.ID, p.Username, formatTime(rv.ReviewedAt), rv.Reason)
	if db.IsUniqueViolation(err) || db.IsRetryable(err) {
		return problem.New(problem.Conflict, "line %d was decided by another officer at the same time; look at it again", line)
	}
	if err != nil {
		return err
	}
	if err := also(tx); err != nil {
		return err
	}
	return tx.Commit()
}
