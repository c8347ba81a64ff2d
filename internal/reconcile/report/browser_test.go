package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/browsertest"
)

// TestBrowserLayout opens the report in headless Chromium (only with
// POPULUS_TEST_BROWSER=1; /usr/bin/chromium or POPULUS_CHROMIUM): the
// page must not be wider than the window, every chart must be drawn, and
// with POPULUS_SCREENSHOTS=dir a full-page screenshot of each language is
// saved there.
func TestBrowserLayout(t *testing.T) {
	browsertest.Require(t)
	withTruth, _ := summaries(t)
	// No overall timeout: each language gets its own minute below. This
	// test does not check the console.
	ctx, _ := browsertest.Start(t, 0)
	for _, lang := range []string{"vi", "en"} {
		path := filepath.Join(t.TempDir(), "report-"+lang+".html")
		if err := WriteFile(path, testCatalog, withTruth, lang); err != nil {
			t.Fatal(err)
		}
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := chromedp.Do(tctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("footer")))
		var overflow bool
		var blank int
		var shot []byte
		if err == nil {
			overflow, err = chromedp.Run(tctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		}
		if err == nil {
			blank, err = chromedp.Run(tctx, chromedp.Evaluate[int](`[...document.querySelectorAll("svg.chart")].filter(s => { const r = s.getBoundingClientRect(); return r.width < 100 || r.height < 20 }).length`))
		}
		if err == nil {
			shot, err = chromedp.Run(tctx, chromedp.FullScreenshot(80))
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if overflow {
			t.Errorf("%s: the page is wider than the window", lang)
		}
		if blank > 0 {
			t.Errorf("%s: %d charts not drawn", lang, blank)
		}
		if dir := os.Getenv("POPULUS_SCREENSHOTS"); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "reconcile-report-"+lang+".jpg"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
