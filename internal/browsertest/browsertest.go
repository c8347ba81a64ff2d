// Package browsertest starts headless Chromium for the tests that drive
// pages in a browser. Those tests run only with POPULUS_TEST_BROWSER=1 and
// then fail, rather than skip, when Chromium (/usr/bin/chromium or
// POPULUS_CHROMIUM) cannot start. Only tests import this package.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Require skips the test unless POPULUS_TEST_BROWSER=1. Tests call it
// first, before any costly setup.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("POPULUS_TEST_BROWSER") != "1" {
		t.Skip("browser test skipped: set POPULUS_TEST_BROWSER=1 (needs /usr/bin/chromium or POPULUS_CHROMIUM)")
	}
}

// Start skips the test as Require does, else starts headless Chromium in
// a 1280×900 window and fails the test if it does not start. The browser
// stops when the test ends. The returned context drives the browser; with
// a timeout above zero it expires after that long.
//
// problems returns what the pages reported so far: console errors and
// uncaught script exceptions, such as CSP violations. Console errors from
// the network (failed requests, 4xx answers) are not problems; a test
// that wants them checks the answers itself.
func Start(t testing.TB, timeout time.Duration) (ctx context.Context, problems func() []string) {
	t.Helper()
	Require(t)
	chromium := os.Getenv("POPULUS_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var found []string
	ctx, cancel = chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		var text string
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				text = ev.Entry.Text
			}
		case *runtime.EventExceptionThrown:
			text = ev.ExceptionDetails.Text
		}
		if text != "" {
			mu.Lock()
			found = append(found, text)
			mu.Unlock()
		}
	}))
	t.Cleanup(cancel)
	// The first run starts the browser and must not carry a timeout,
	// which would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("Chromium (%s) does not start: %v", chromium, err)
	}
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
		t.Cleanup(cancel)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(found)
	}
}

// Screenshots returns a function that makes actions saving a full-page
// PNG screenshot named name+".png" in the folder POPULUS_SCREENSHOTS,
// which it creates. Without POPULUS_SCREENSHOTS the actions do nothing.
func Screenshots(t testing.TB) func(name string) chromedp.Action[chromedp.Void] {
	t.Helper()
	dir := os.Getenv("POPULUS_SCREENSHOTS")
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if dir == "" {
				return nil
			}
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
		})
	}
}

// DumpMain returns the URL and the text of the page's main element (or
// body), to explain a failed step. It reads them even after ctx has
// expired, within 5 seconds.
func DumpMain(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	return url + "\n" + text
}

// DoFromStart runs steps, and runs them once more, from the first, when
// chromedp lost a node because Chromium replaced the document under it
// ("Could not find node with given id", a race of chromedp's node ids with
// a navigation, seen in CI on a page reached through redirects); steps
// must then start with a navigation. The retry is logged.
func DoFromStart(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	t.Helper()
	err := chromedp.Do(ctx, steps...)
	if err != nil && strings.Contains(err.Error(), "Could not find node with given id") {
		t.Logf("chromedp lost a node (%v): the steps once more from the start", err)
		err = chromedp.Do(ctx, steps...)
	}
	return err
}
