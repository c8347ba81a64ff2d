package oidc

import (
	"bytes"
	stdlog "log"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// The library's line per endpoint is dropped while the provider starts;
// other records go to the server's logger; the default logger and the
// log package's output are as they were afterwards.
func TestQuietStart(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	prev, prevOut := slog.Default(), stdlog.Writer()
	quietly(log, func() http.Handler {
		slog.Info("registered route", "endpoint", "/authorize")
		slog.Warn("kept")
		stdlog.Print("printed")
		return nil
	})
	out := buf.String()
	if strings.Contains(out, "registered route") || !strings.Contains(out, "msg=kept") || !strings.Contains(out, "printed") {
		t.Errorf("logged %q", out)
	}
	if slog.Default() != prev || stdlog.Writer() != prevOut {
		t.Error("the default logger was not put back")
	}
	quietly(nil, func() http.Handler { slog.Warn("discarded"); return nil })
}
