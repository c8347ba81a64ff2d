package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/testlog"
)

// clock is a fake clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)} }

func TestLogLines(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := newBar(&out, 1000, "loading", false, c.now)
	b.Add(100)
	c.advance(time.Second)
	b.Add(100)
	if out.Len() != 0 {
		t.Fatalf("reported before the interval: %q", out.String())
	}
	c.advance(LogInterval - time.Second)
	b.Add(300) // 500 done after 5 s
	want := "loading  500 / 1,000  50.0%  100/s  ETA 5s\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	c.advance(time.Second)
	b.Add(100)
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("reported again within the interval: %q", out.String())
	}
	c.advance(4 * time.Second)
	b.Add(400)
	b.Done()
	b.Done()
	b.Add(1)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || lines[1] != "loading  1,000 / 1,000  100.0%  100/s" ||
		lines[2] != "loading  1,000 / 1,000  100.0%  100/s  in 10s" {
		t.Fatalf("got %q", lines)
	}
}

func TestTerminalRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := newBar(&out, 0, "", true, c.now)
	for i := 0; i < 100; i++ {
		c.advance(10 * time.Millisecond) // 100 adds over one second
		b.Add(123456)
	}
	reports := strings.Count(out.String(), "\r")
	if reports < 3 || reports > 4 {
		t.Fatalf("%d reports in one second on a terminal, want about 4: %q", reports, out.String())
	}
	if strings.Contains(out.String(), "\n") {
		t.Fatalf("a newline before Done: %q", out.String())
	}
	b.Done()
	s := out.String()
	if !strings.HasSuffix(s, "\r12,345,600  12,345,600/s  in 1s\n") {
		t.Fatalf("final line: %q", s)
	}
	// A shorter line wipes the end of the previous one.
	out.Reset()
	b = newBar(&out, 10, "x", true, c.now)
	c.advance(time.Second)
	b.Add(10000)
	first := strings.TrimPrefix(out.String(), "\r")
	out.Reset()
	b.done.Store(1)
	c.advance(time.Second)
	b.Done()
	second := strings.TrimSuffix(strings.TrimPrefix(out.String(), "\r"), "\n")
	if len([]rune(second)) < len([]rune(first)) {
		t.Fatalf("%q does not cover %q", second, first)
	}
}

func TestConcurrentAdd(t *testing.T) {
	var out testlog.Buffer
	c := newClock()
	b := newBar(&out, 80000, "p", false, c.now)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				if i%1000 == 0 {
					c.advance(time.Second)
				}
				b.Add(1)
			}
		}()
	}
	wg.Wait()
	b.Done()
	if b.Count() != 80000 {
		t.Fatalf("count %d, want 80000", b.Count())
	}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "p  ") || !strings.Contains(line, " / 80,000  ") {
			t.Fatalf("garbled line %q", line)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := string(appendCount(nil, n)); got != want {
			t.Errorf("appendCount(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 42 * time.Second: "42s",
		3*time.Minute + 5*time.Second: "3m05s", 2*time.Hour + 7*time.Minute: "2h07m",
	} {
		if got := string(appendDuration(nil, d)); got != want {
			t.Errorf("appendDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	if b := New(f, 10, "x"); b.tty || b.interval != LogInterval {
		t.Errorf("New on a file: tty %v, interval %v", b.tty, b.interval)
	}
}

func BenchmarkAdd(b *testing.B) {
	bar := New(&bytes.Buffer{}, int64(b.N), "bench")
	b.ReportAllocs()
	for b.Loop() {
		bar.Add(1)
	}
}
