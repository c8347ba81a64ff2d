// Package example is the worked example of docs/adding-a-capability.md: a
// tiny capability, commune notices, with a table, an API endpoint, its API
// document, a page with messages and a menu entry. It is not wired into the
// binary; its test wires it exactly as cmd/populus wires the real ones, and
// keeps the recipe true.
package example

import (
	"context"
	"embed"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed migrations
var migrations embed.FS

// Schema is the capability's tables.
var Schema = &db.Schema{Name: "example", FS: migrations}

// The capability's actions, with who may do them from which scope. Reading
// a commune's notices is granted to every officer role that reads people.
var (
	PostNotice  = auth.Declare("example.notice.post", auth.Grant{Role: auth.Registrar})
	ReadNotices = auth.Declare("example.notice.read", auth.Grant{Role: auth.Registrar}, auth.Grant{Role: auth.PoliceOfficer})
)

// Notice is one notice of a commune.
type Notice struct {
	ID        int64     `json:"id"`
	Unit      string    `json:"unit"`
	Title     string    `json:"title"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// NoticeRequest posts a notice in the officer's own commune.
type NoticeRequest struct {
	Title string `json:"title"`
}

// Notices is the capability: its store and its guard.
type Notices struct {
	db    *db.DB
	guard *auth.Guard
}

// New returns the capability over d, deciding with g.
func New(d *db.DB, g *auth.Guard) *Notices { return &Notices{db: d, guard: g} }

// Post stores a notice of p's commune; the domain method never sees HTTP.
func (n *Notices) Post(ctx context.Context, p auth.Principal, in NoticeRequest) (Notice, error) {
	title := strings.TrimSpace(in.Title)
	if title == "" || utf8.RuneCountInString(title) > 200 {
		return Notice{}, problem.Field("title", "must have 1 to 200 characters")
	}
	if err := n.guard.Check(ctx, p, PostNotice, p.Unit, ""); err != nil {
		return Notice{}, err
	}
	nt := Notice{Unit: p.Unit, Title: title, Author: p.ActorID(), CreatedAt: time.Now().UTC()}
	err := n.db.QueryRowContext(ctx, `INSERT INTO example_notices (unit_code, title, author, created_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, nt.Unit, nt.Title, nt.Author, db.FormatTime(nt.CreatedAt)).Scan(&nt.ID)
	return nt, err
}

// List returns the newest notices of the communes within p's reach.
func (n *Notices) List(ctx context.Context, p auth.Principal, limit int) ([]Notice, error) {
	if err := n.guard.Role(ctx, p, ReadNotices, ""); err != nil {
		return nil, err
	}
	reach := n.guard.Reach(p, ReadNotices)
	q, args := `SELECT id, unit_code, title, author, created_at FROM example_notices`, []any{}
	if !reach.All {
		if reach.Nothing() {
			return nil, nil
		}
		var in []string
		for _, c := range reach.Communes {
			args = append(args, c)
			in = append(in, "$"+strconv.Itoa(len(args)))
		}
		q += ` WHERE unit_code IN (` + strings.Join(in, ",") + `)`
	}
	args = append(args, limit)
	q += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := n.db.QueryContext(ctx, q, args...)
	return db.Collect(rows, err, func(s db.Scanner) (Notice, error) {
		var nt Notice
		err := s.Scan(&nt.ID, &nt.Unit, &nt.Title, &nt.Author, db.Time{T: &nt.CreatedAt})
		return nt, err
	})
}
