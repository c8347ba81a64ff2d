package audit

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// View is an entry as the API shows it, with the id that pages by.
type View struct {
	ID int64 `json:"id"`
	Entry
}

// maxSubject bounds the subject of a query (a PIN has 12 characters).
const maxSubject = 64

// Reader serves the audit log to those who may read it: auditors and
// administrators attached to the nation (a grant held from the nation only,
// see auth's grants table): entries name people of every unit, and carry no
// unit a narrower reach could be checked against. Each read is itself
// audited.
type Reader struct {
	log   *Log
	guard *auth.Guard
}

// NewReader returns the reader of l, deciding with g.
func NewReader(l *Log, g *auth.Guard) *Reader { return &Reader{log: l, guard: g} }

// Routes returns the audit log's API routes. It may be called on a nil
// *Reader, to list them.
func (rd *Reader) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/audit", Handler: httpx.Handle(rd.handleList), Access: httpx.AccessStaff},
		{Pattern: "GET /api/v1/audit/entries/{id}/proof", Handler: httpx.Handle(rd.handleProof), Access: httpx.AccessStaff},
		{Pattern: "GET /api/v1/audit/checkpoint", Handler: httpx.Handle(rd.handleCheckpoint), Access: httpx.AccessPublic},
	}
}

// CheckpointView is the latest checkpoint and the key that signs them.
type CheckpointView struct {
	Checkpoint
	Verifier string `json:"verifier,omitempty"`
}

// handleCheckpoint answers GET /api/v1/audit/checkpoint: the log's latest
// signed checkpoint (its size and root hash, nothing about anyone) and the
// key to check it with, for anyone who keeps a copy to compare later ones
// against (a witness).
func (rd *Reader) handleCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := latestCheckpoint(r.Context(), rd.log.db)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.NotFound, "the audit log has no checkpoint yet")
	}
	if err != nil {
		return err
	}
	rd.log.tree.mu.Lock()
	v := CheckpointView{Checkpoint: cp, Verifier: rd.log.tree.verifier}
	rd.log.tree.mu.Unlock()
	return httpx.WriteJSON(w, http.StatusOK, v)
}

// handleProof answers GET /api/v1/audit/entries/{id}/proof to those who
// may read the audit log: the entry's inclusion proof (Prove). It is a
// read of the entry, audited as one.
func (rd *Reader) handleProof(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.Field("id", "must be an entry id, a positive whole number")
	}
	if err := rd.guard.Check(r.Context(), pr, auth.ReadAudit, "", ""); err != nil {
		return err
	}
	if err := rd.log.Record(r.Context(), Of(pr, auth.ReadAudit, "").With("proof of entry "+strconv.FormatInt(id, 10))); err != nil {
		return err
	}
	p, err := rd.log.Prove(r.Context(), id)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, p)
}

// handleList answers GET /api/v1/audit: the entries about ?subject= (every
// entry when empty), newest first, ?limit= at a time (1–200, default 50),
// ?cursor= being the next_cursor of the page before.
func (rd *Reader) handleList(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, 50, 200)
	if err != nil {
		return err
	}
	subject := r.URL.Query().Get("subject")
	var before int64
	if page.Cursor != "" {
		if before, err = strconv.ParseInt(page.Cursor, 10, 64); err != nil || before <= 0 {
			return problem.Field("cursor", "not a cursor this API returned")
		}
	}
	views, last, err := rd.Read(r.Context(), pr, subject, before, page.Limit)
	if err != nil {
		return err
	}
	out := httpx.List[View]{Items: views}
	if last > 0 {
		out.NextCursor = strconv.FormatInt(last, 10)
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

// Read returns to pr the entries about subject (every entry when empty),
// newest first, at most limit, before the entry id before (0 for the
// newest), and the id the next page starts before (0 after the last page).
// The read is recorded before the entries are returned, and a refusal too.
func (rd *Reader) Read(ctx context.Context, pr auth.Principal, subject string, before int64, limit int) ([]View, int64, error) {
	if len(subject) > maxSubject || !utf8.ValidString(subject) {
		return nil, 0, problem.Field("subject", "must be an identifier of at most %d characters", maxSubject)
	}
	if err := rd.guard.Check(ctx, pr, auth.ReadAudit, "", subject); err != nil {
		return nil, 0, err
	}
	if err := rd.log.Record(ctx, Of(pr, auth.ReadAudit, subject)); err != nil {
		return nil, 0, err
	}
	entries, ids, last, err := rd.log.list(ctx, subject, before, limit)
	if err != nil {
		return nil, 0, err
	}
	views := make([]View, len(entries))
	for i, e := range entries {
		views[i] = View{ID: ids[i], Entry: e}
	}
	return views, last, nil
}
