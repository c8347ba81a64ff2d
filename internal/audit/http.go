package audit

import (
	"context"
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

// HandleList answers GET /api/v1/audit: the entries about ?subject= (every
// entry when empty), newest first, ?limit= at a time (1–200, default 50),
// ?cursor= being the next_cursor of the page before. Only a nation-wide
// principal whose role may read the audit log may: entries name people of
// every unit, and carry no unit a narrower reach could be checked against.
// The read is itself audited.
func (l *Log) HandleList(w http.ResponseWriter, r *http.Request) error {
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
	views, last, err := l.Read(r.Context(), pr, subject, before, page.Limit)
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
// Only a nation-wide principal whose role may read the audit log may; the
// read is recorded before the entries are returned, and a refusal too.
func (l *Log) Read(ctx context.Context, pr auth.Principal, subject string, before int64, limit int) ([]View, int64, error) {
	if len(subject) > maxSubject || !utf8.ValidString(subject) {
		return nil, 0, problem.Field("subject", "must be an identifier of at most %d characters", maxSubject)
	}
	entry := Entry{Actor: pr.ActorID(), Action: string(auth.ReadAudit), Subject: subject}
	if pr.Scope() != auth.ScopeNation || !auth.Can(pr.Role, auth.ReadAudit) {
		entry.Outcome, entry.Detail = Denied, "unit "+pr.Unit
		l.Record(ctx, entry)
		if !auth.Can(pr.Role, auth.ReadAudit) {
			return nil, 0, problem.New(problem.Forbidden, "the role %s may not do %s", pr.Role, auth.ReadAudit)
		}
		return nil, 0, problem.New(problem.Forbidden, "only an account attached to the nation (VN) may read the audit log")
	}
	if err := l.Record(ctx, entry); err != nil {
		return nil, 0, err
	}
	entries, ids, last, err := l.list(ctx, subject, before, limit)
	if err != nil {
		return nil, 0, err
	}
	views := make([]View, len(entries))
	for i, e := range entries {
		views[i] = View{ID: ids[i], Entry: e}
	}
	return views, last, nil
}
