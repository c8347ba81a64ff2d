package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/reconcile/service/jobsui"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

const (
	browserPeople  = 1000
	browserRecords = 150
	browserUser    = "bank.officer"
	browserPass    = "correct horse battery staple"
)

// TestBrowserJobsPage drives the officers' page /reconcile/jobs (Đối soát)
// in headless Chromium, on the server as `populus serve` assembles it and
// under its content security policy: a service officer signs in, opens the
// page from the navigation, uploads a small drivers' file through the form
// (recjob.js sends it with the CSRF token in a header), waits while the list
// refreshes itself until the job is done, and downloads the decisions, which
// hold one row per record. It runs only with POPULUS_TEST_BROWSER=1 and fails,
// rather than skips, when Chromium cannot start then. With
// POPULUS_SCREENSHOTS=dir it saves screenshots of the page there.
func TestBrowserJobsPage(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, []*db.Schema{service.Schema}, func(t *testing.T, d *db.DB) {
		input := filepath.Join(t.TempDir(), "drivers.csv")
		if err := os.WriteFile(input, seedDrivers(t, d), 0o644); err != nil {
			t.Fatal(err)
		}
		base, stop := startServer(t, d)
		defer stop()

		// Any CSP violation or script error on a page fails the test;
		// network errors, such as a missing favicon, are not counted.
		ctx, problems := browsertest.Start(t, 3*time.Minute)
		shot := browsertest.Screenshots(t)
		cat := i18n.MustLoad(report.Messages, jobsui.Module(nil).Messages)

		// Sign in (Vietnamese) and open the page from the navigation.
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2F"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			chromedp.SendKeys(chromedp.ID("f-username"), browserUser),
			chromedp.SendKeys(chromedp.ID("f-password"), browserPass),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`nav a[href="/reconcile/jobs"]`)),
			// The dashboard leads there too.
			chromedp.WaitVisible(chromedp.ID("card-recjobs")),
			chromedp.Click(chromedp.CSS(`#card-recjobs ~ p a[href="/reconcile/jobs"]`)),
			chromedp.WaitVisible(chromedp.ID("recjob-file")),
		)
		if err != nil {
			t.Fatalf("sign in and open the jobs' page: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			t.Fatal(err)
		}
		if want := cat.T(i18n.Vietnamese, "recjob.title"); heading != want {
			t.Errorf("page heading %q, want %q", heading, want)
		}
		none, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("recjob-list")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(none, cat.T(i18n.Vietnamese, "recjob.none")) {
			t.Errorf("before the upload the list says %q", none)
		}

		// Upload through the form; the list then follows the job.
		done := `#recjob-list a[href$="/decisions.csv"]`
		err = chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.ID("recjob-file"), []string{input}),
			chromedp.SetValue(chromedp.ID("recjob-kind"), "drivers"),
			shot("recjobs-form"),
			chromedp.Click(chromedp.CSS(`form[data-recjob-upload] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#recjob-list tbody tr`)),
			shot("recjobs-submitted"),
			chromedp.WaitVisible(chromedp.CSS(done)),
			shot("recjobs-done"),
		)
		if err != nil {
			t.Fatalf("upload and follow the job: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		list, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("recjob-list")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"drivers.csv", cat.T(i18n.Vietnamese, "recjob.state.done"),
			cat.T(i18n.Vietnamese, "recjob.progress", browserRecords, browserRecords, 100.0)} {
			if !strings.Contains(list, want) {
				t.Errorf("the list of jobs does not say %q:\n%s", want, list)
			}
		}
		links, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll(`#recjob-list .link-list a`)))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"decisions.csv", "corrections.csv", "summary.json", "report.html"} {
			found := ""
			for _, a := range links {
				if strings.HasPrefix(a["href"], "/api/v1/reconcile/jobs/") && strings.HasSuffix(a["href"], "/"+name) {
					found = a["href"]
				}
			}
			if found == "" {
				t.Errorf("no link to %s among %v", name, links)
			}
		}

		// Download the decisions as an officer would, by the link.
		b := downloadLink(t, ctx, done)
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("the downloaded decisions are not CSV: %v", err)
		}
		if len(rows) != browserRecords+1 {
			t.Errorf("the downloaded decisions hold %d rows, want a header and %d records", len(rows), browserRecords)
		}
		// The download is in the audit log.
		var n int
		browserAudit.Sync(context.Background(), 5*time.Second) // imported from the journal
		if err := d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = 'reconcile.read'`, "staff:"+browserUser).Scan(&n); err != nil || n == 0 {
			t.Errorf("%d audited downloads (%v), want at least 1", n, err)
		}

		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}

// seedDrivers loads a small synthetic register into d and returns a
// drivers' file derived from it.
func seedDrivers(t *testing.T, d *db.DB) []byte {
	t.Helper()
	ctx := context.Background()
	im := register.NewImporter(d)
	if err := im.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := synth.Generate(ctx, synth.Config{People: browserPeople, Seed: 11}, func(h *people.Household, ms []people.Person) error {
		return im.Add(ctx, h, ms)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	var f bytes.Buffer
	if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: sector.Drivers, Records: browserRecords, Seed: 4}, sectorsynth.RegisterPopulation(d), &f, io.Discard); err != nil {
		t.Fatal(err)
	}
	return f.Bytes()
}

// browserAudit is the audit log of the last server started.
var browserAudit *audit.Log

// startServer assembles the server as `populus serve` does, with the jobs'
// service running and a service officer who may submit jobs, and returns
// its address and a function that stops it.
func startServer(t *testing.T, d *db.DB) (string, func()) {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	alog := audit.New(d)
	t.Cleanup(alog.Close)
	browserAudit = alog
	u := units.Default()
	g := auth.NewGuard(auth.NewPolicy(u), alog)
	st := staff.NewStore(d, staff.TestParams)
	if _, err := st.Create(ctx, staff.NewAccount{Username: browserUser, DisplayName: "Phạm Thu Trang",
		Role: auth.ServiceOfficer, Unit: "00004", Password: browserPass}); err != nil {
		t.Fatal(err)
	}
	sessions := staff.NewService(st, alog, staff.Options{})
	reg := register.New(d, g, alog, u)
	cat := i18n.MustLoad(report.Messages)
	jobs := service.New(service.Config{DB: d, DataDir: t.TempDir(), Guard: g, Audit: alog, Logger: logger,
		Workers: 1, EngineWorkers: 2, Poll: 100 * time.Millisecond,
		Report: func(w io.Writer, s *engine.Summary) error { return report.Render(w, cat, s, i18n.Vietnamese) }})
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: cat, Logger: logger, Modules: []web.Module{registerui.Module(reg), jobsui.Module(jobs)}})
	if err != nil {
		jobs.Stop()
		t.Fatal(err)
	}
	h, err := server.New(server.Deps{DB: d, Logger: logger, Capabilities: []httpx.Routes{sessions, u, reg, jobs, ui},
		Guards: sessions.Guards(), PageError: ui.RenderError})
	if err != nil {
		jobs.Stop()
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	return srv.URL, func() {
		srv.Close()
		jobs.Stop()
	}
}

func ptr[T any](v T) *T { return &v }

// downloadLink clicks the link sel, as an officer downloads a file, and
// returns the file downloaded.
func downloadLink(t *testing.T, ctx context.Context, sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName,
				DownloadPath:  dir,
				EventsEnabled: ptr(true),
			})
			return err
		}),
		chromedp.Click(chromedp.CSS(sel)),
	)
	if err != nil {
		t.Fatalf("download %s: %v", sel, err)
	}
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download %s: %v", sel, err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("download %s cancelled", sel)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
