package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/reconcile/service/jobsui"
	"github.com/populus-vn/populus/internal/staff"
)

// TestBrowserReview drives the review of a job's records in headless
// Chromium, in Vietnamese: a service officer of the nation uploads a
// drivers' file, opens the records left for review from the jobs' list,
// opens the first record beside its candidates, is told that accepting
// needs a reason, accepts candidate 1 with one, is taken to the next
// record, marks it as not in the register, sees both decided in the list,
// and downloads the corrections, which hold the reviewed link with who
// decided and why. With POPULUS_SCREENSHOTS=dir it saves screenshots.
func TestBrowserReview(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, []*db.Schema{service.Schema}, func(t *testing.T, d *db.DB) {
		input := filepath.Join(t.TempDir(), "drivers.csv")
		if err := os.WriteFile(input, seedDrivers(t, d), 0o644); err != nil {
			t.Fatal(err)
		}
		base, stop := startServer(t, d)
		defer stop()
		const user, reason = "review.officer", "Cùng ngày sinh và nơi thường trú"
		if _, err := staff.NewStore(d, staff.TestParams).Create(context.Background(), staff.NewAccount{Username: user, DisplayName: "Lê Minh Châu",
			Role: auth.ServiceOfficer, Unit: "VN", Password: browserPass}); err != nil {
			t.Fatal(err)
		}
		ctx, problems := browsertest.Start(t, 3*time.Minute)
		shot := browsertest.Screenshots(t)
		cat := i18n.MustLoad(report.Messages, jobsui.Module(nil).Messages)
		vi := func(id string, args ...any) string { return cat.T(i18n.Vietnamese, id, args...) }

		review := `#recjob-list a[href$="/review"]`
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2Freconcile%2Fjobs"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			chromedp.SendKeys(chromedp.ID("f-username"), user),
			chromedp.SendKeys(chromedp.ID("f-password"), browserPass),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("recjob-file")),
			chromedp.SetUploadFiles(chromedp.ID("recjob-file"), []string{input}),
			chromedp.SetValue(chromedp.ID("recjob-kind"), "drivers"),
			chromedp.Click(chromedp.CSS(`form[data-recjob-upload] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(review)),
			chromedp.Click(chromedp.CSS(review)),
			chromedp.WaitVisible(chromedp.CSS(`[data-review-counts]`)),
			// The records waiting, through the filter.
			chromedp.SetValue(chromedp.ID("recreview-status"), "pending"),
			chromedp.Click(chromedp.CSS(`form[action$="/review"] button[type=submit]`)),
			// The filtered page has the choice selected (the form's
			// own page only has it chosen).
			chromedp.WaitReady(chromedp.CSS(`#recreview-status option[value=pending][selected]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-review-counts]`)),
			shot("review-list"),
		)
		if err != nil {
			t.Fatalf("upload and open the review: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "status=pending") {
			t.Errorf("the filtered list is at %s", loc)
		}
		lines, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll(`[data-review-list] tbody tr`)))
		if err != nil {
			t.Fatalf("the review list: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if len(lines) < 2 {
			t.Fatalf("%d records to review; the test needs 2\n%s", len(lines), browsertest.DumpMain(ctx))
		}
		counts, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-counts]`)))
		if want := vi("recreview.counts", len(lines), len(lines), 0); counts != want {
			t.Errorf("counts %q, want %q", counts, want)
		}

		// The first record beside its candidates and their weights.
		first := lines[0]["data-line"]
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-review-list] tr[data-line="`+first+`"] a`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-review-compare]`)),
			shot("review-record"),
		)
		if err != nil {
			t.Fatalf("open line %s: %v\n%s", first, err, browsertest.DumpMain(ctx))
		}
		compare, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-compare]`)))
		weights, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-weights]`)))
		for _, want := range []string{vi("recreview.sector_record"), vi("recreview.candidate", 1), vi("recreview.birth_date")} {
			if !strings.Contains(compare, want) {
				t.Errorf("the comparison does not say %q:\n%s", want, compare)
			}
		}
		if !strings.Contains(weights, vi("recreview.cmp.full_name")) || !strings.Contains(weights, vi("recreview.cmp.birth_date")) {
			t.Errorf("the weights table:\n%s", weights)
		}
		candidate, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-compare] tbody tr:nth-child(4) td:nth-child(3)`)))
		if err != nil || len(candidate) != 12 {
			t.Fatalf("candidate 1's PIN %q: %v", candidate, err)
		}

		// Accepting without a reason is refused, naming the reason.
		accept := `[data-review-form] button[name=candidate][value="1"]`
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(accept)),
			chromedp.WaitVisible(chromedp.ID("error-summary")),
			shot("review-reason-required"),
		)
		if err != nil {
			t.Fatalf("accept without a reason: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		summary, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error-summary")))
		if !strings.Contains(summary, "là bắt buộc khi chấp nhận một ứng viên") {
			t.Errorf("the error summary says %q", summary)
		}
		if href, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#error-summary a`), "href")); href.Value != "#f-reason" {
			t.Errorf("the error summary links to %q, not the reason", href.Value)
		}
		// With a reason: recorded, and the next record is open.
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("f-reason"), reason),
			chromedp.Click(chromedp.CSS(accept)),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
			shot("review-accepted-next"),
		)
		if err != nil {
			t.Fatalf("accept candidate 1: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		heading, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		second := lines[1]["data-line"]
		if want := vi("recreview.record_heading", atoi(t, second)); heading != want {
			t.Errorf("after the decision the page is %q, want %q", heading, want)
		}
		// The notice goes, for the next page's to be waited for.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector('.alert-success').remove(), true)`)); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-review-form] button[name=outcome][value=not_in_register]`)),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
		)
		if err != nil {
			t.Fatalf("mark not in the register: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		// Back to the list it was opened from, once the records waiting in
		// it are decided, unless others wait after.
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); len(lines) == 2 && !strings.HasSuffix(loc, "/review?status=pending") {
			t.Errorf("after the last record waiting the page is %s", loc)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(base+"/reconcile/jobs"),
			chromedp.WaitVisible(chromedp.CSS(review)),
			chromedp.Click(chromedp.CSS(review)),
			chromedp.WaitVisible(chromedp.CSS(`[data-review-counts]`)),
			shot("review-list-decided"),
		)
		if err != nil {
			t.Fatalf("mark not in the register: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		counts, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-counts]`)))
		if want := vi("recreview.counts", len(lines), len(lines)-2, 2); counts != want {
			t.Errorf("counts %q, want %q", counts, want)
		}
		rows, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-review-list] tbody`)))
		for _, want := range []string{vi("recreview.outcome.accepted"), vi("recreview.outcome.not_in_register"), user} {
			if !strings.Contains(rows, want) {
				t.Errorf("the list does not say %q:\n%s", want, rows)
			}
		}

		// The corrections hold the reviewed link.
		b := downloadLink(t, ctx, `a[href$="/corrections.csv"]`)
		cor, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("the downloaded corrections are not CSV: %v", err)
		}
		var found bool
		for _, r := range cor[1:] {
			if r[9] == "reviewed" {
				found = r[4] == candidate && r[5] == first && r[11] == user && r[13] == reason
				if !found {
					t.Errorf("the reviewed link %q", r)
				}
			}
		}
		if !found || !strings.HasSuffix(strings.Join(cor[0], ","), "reviewed_by,reviewed_at,review_reason") {
			t.Errorf("the corrections lack the reviewed link of line %s to %s:\n%s", first, candidate, b)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not a number", s)
		}
		n = 10*n + int(c-'0')
	}
	return n
}
