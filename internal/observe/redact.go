package observe

import (
	"context"
	"fmt"
	"log/slog"
)

// RedactPINs returns a handler that writes what h writes with every run of
// exactly twelve digits (a personal identification number) in the message
// and in the text of attributes (strings, errors, anything formatted as
// text, inside groups too) replaced by "[PIN]". Routes are logged by
// pattern and handlers never log a PIN on purpose; this is the net under
// what they do not control: an error's text, a panic's value, a driver's
// message quoting a parameter. Numbers (ints, floats) are left alone.
func RedactPINs(h slog.Handler) slog.Handler { return redactor{h} }

type redactor struct{ h slog.Handler }

func (r redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactor) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactor{r.h.WithAttrs(red)}
}

func (r redactor) WithGroup(name string) slog.Handler { return redactor{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); hasPIN(s) {
			return slog.String(a.Key, redact(s))
		}
	case slog.KindGroup:
		as := v.Group()
		red := make([]slog.Attr, len(as))
		for i, g := range as {
			red[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprint(x)
		}
		if hasPIN(s) {
			return slog.String(a.Key, redact(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// hasPIN reports whether s holds a run of exactly twelve digits.
func hasPIN(s string) bool {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run == 12 {
			return true
		}
		run = 0
	}
	return false
}

// redact replaces every run of exactly twelve digits in s by "[PIN]".
func redact(s string) string {
	if !hasPIN(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if i-start == 12 {
				b = append(b, "[PIN]"...)
			} else {
				b = append(b, s[start:i]...)
			}
			start = -1
		}
		if i < len(s) {
			b = append(b, s[i])
		}
	}
	return string(b)
}
