package observe

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactPINs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(RedactPINs(slog.NewJSONHandler(&buf, nil)))
	log = log.With("pin", "001203546280")
	log.Error("no household for 001090000001",
		"err", fmt.Errorf("person 079203000123: %w", errors.New("not found")),
		"path", "/api/v1/persons/001203546280/events",
		"raw", []byte("036199000001"),
		slog.Group("req", "q", "pin=001090000002&x=1"),
		"count", 123456789012, // a number, not text: kept
		"short", "12345678901", // 11 digits: kept
		"long", "1234567890123", // 13 digits: kept
	)
	out := buf.String()
	for _, pin := range []string{"001203546280", "001090000001", "079203000123", "036199000001", "001090000002"} {
		if strings.Contains(out, pin) {
			t.Errorf("the log line holds the PIN %s: %s", pin, out)
		}
	}
	for _, kept := range []string{"123456789012", "12345678901", "1234567890123", `no household for [PIN]`, "/api/v1/persons/[PIN]/events", "not found"} {
		if !strings.Contains(out, kept) {
			t.Errorf("the log line lacks %q: %s", kept, out)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"001203546280":              "[PIN]",
		"a001203546280b":            "a[PIN]b",
		"001203546280,001203546281": "[PIN],[PIN]",
		"0012035462801":             "0012035462801",
		"Hà Nội 001203546280.":      "Hà Nội [PIN].",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
