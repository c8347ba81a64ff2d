// Package progress prints a one-line progress report for long jobs (loading
// a population, rebuilding an index): count and total, percent, rate and
// estimated time left.
//
// On a terminal the line is redrawn in place with a carriage return a few
// times a second; written to a file or a pipe (a log, CI output) it becomes
// a plain line every few seconds, so logs stay readable. It has no
// dependencies beyond the standard library and must never slow the job it
// reports on: Add is an atomic add and, at most a few times per second, one
// formatted line.
package progress

import (
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Intervals between reports.
const (
	TerminalInterval = 250 * time.Millisecond
	LogInterval      = 5 * time.Second
)

// Bar reports the progress of one job. It is safe for concurrent use.
type Bar struct {
	w        io.Writer
	total    int64
	label    string
	tty      bool
	now      func() time.Time
	interval time.Duration
	start    time.Time

	done atomic.Int64
	next atomic.Int64 // clock reading (ns since start) of the next report

	mu       sync.Mutex // serialises writes
	width    int        // length of the last line drawn in place
	finished bool
	buf      []byte
}

// New starts reporting on w a job of total items (0 or less if unknown).
func New(w io.Writer, total int64, label string) *Bar {
	return newBar(w, total, label, isTerminal(w), time.Now)
}

func newBar(w io.Writer, total int64, label string, tty bool, now func() time.Time) *Bar {
	b := &Bar{w: w, total: total, label: label, tty: tty, now: now, interval: LogInterval}
	if tty {
		b.interval = TerminalInterval
	}
	b.start = now()
	b.next.Store(int64(b.interval))
	return b
}

// isTerminal reports whether w is a character device (a terminal), using
// only os.File.Stat.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add records n more items done and reports if a report is due.
func (b *Bar) Add(n int64) {
	b.done.Add(n)
	elapsed := int64(b.now().Sub(b.start))
	if elapsed < b.next.Load() || !b.mu.TryLock() {
		return // not due, or another goroutine is reporting
	}
	defer b.mu.Unlock()
	if b.finished || elapsed < b.next.Load() {
		return
	}
	b.next.Store(elapsed + int64(b.interval))
	b.report(time.Duration(elapsed), false)
}

// Done prints the final report and ends the line. Later calls do nothing.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	b.report(b.now().Sub(b.start), true)
}

// Count returns the number of items done so far.
func (b *Bar) Count() int64 { return b.done.Load() }

func (b *Bar) report(elapsed time.Duration, final bool) {
	done := b.done.Load()
	line := b.buf[:0]
	if b.tty {
		line = append(line, '\r')
	}
	start := len(line)
	line = b.appendLine(line, done, elapsed, final)
	if b.tty {
		n := len([]rune(string(line[start:])))
		for i := n; i < b.width; i++ {
			line = append(line, ' ') // wipe the end of a longer previous line
		}
		b.width = n
	}
	if final || !b.tty {
		line = append(line, '\n')
	}
	b.buf = line
	_, _ = b.w.Write(line) // a report that cannot be written is not worth failing the job for
}

// appendLine formats "label  1,234 / 5,000  24.7%  1,234/s  ETA 3s".
func (b *Bar) appendLine(line []byte, done int64, elapsed time.Duration, final bool) []byte {
	if b.label != "" {
		line = append(line, b.label...)
		line = append(line, "  "...)
	}
	line = appendCount(line, done)
	if b.total > 0 {
		line = append(line, " / "...)
		line = appendCount(line, b.total)
		pct := float64(done) / float64(b.total) * 100
		line = append(line, "  "...)
		line = strconv.AppendFloat(line, min(pct, 100), 'f', 1, 64)
		line = append(line, '%')
	}
	var rate float64
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	line = append(line, "  "...)
	line = appendCount(line, int64(rate+0.5))
	line = append(line, "/s"...)
	switch {
	case final:
		line = append(line, "  in "...)
		line = appendDuration(line, elapsed)
	case b.total > 0 && rate > 0 && done < b.total:
		line = append(line, "  ETA "...)
		line = appendDuration(line, time.Duration(float64(b.total-done)/rate*float64(time.Second)))
	}
	return line
}

// appendCount writes n with thousands separators: 1,234,567.
func appendCount(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return b
}

// appendDuration writes a short duration: 850ms, 42s, 3m05s, 2h07m.
func appendDuration(b []byte, d time.Duration) []byte {
	switch {
	case d < time.Second:
		return append(strconv.AppendInt(b, d.Milliseconds(), 10), "ms"...)
	case d < time.Minute:
		return append(strconv.AppendInt(b, int64(d/time.Second), 10), 's')
	case d < time.Hour:
		s := int64(d.Round(time.Second) / time.Second)
		b = append(strconv.AppendInt(b, s/60, 10), 'm')
		return append(appendTwo(b, s%60), 's')
	}
	m := int64(d.Round(time.Minute) / time.Minute)
	b = append(strconv.AppendInt(b, m/60, 10), 'h')
	return append(appendTwo(b, m%60), 'm')
}

func appendTwo(b []byte, n int64) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}
