// Package benchinfo holds what the benchmark programs under bench/ share: a
// description of the machine they ran on, peak-memory readings, latency
// percentiles and the markdown they print.
//
// It is only used by the benchmark programs, never by Populus itself.
package benchinfo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	OS     string `json:"os"`
	Go     string `json:"go"`
	Date   string `json:"date"`
	// Load is /proc/loadavg's 1-minute figure when the run started: the
	// machine may be shared, and a load above the core count skews results.
	Load string `json:"load_avg_1m"`
	// Commit is `git describe --always --dirty` of the working tree.
	Commit string `json:"commit"`
}

// Describe reads the machine's description from /proc and the runtime.
func Describe() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now().Format(time.DateOnly), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.Load = LoadAvg()
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if kb := procField("/proc/meminfo", "MemTotal"); kb > 0 {
		m.Memory = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`) + " " + runtime.GOARCH
			}
		}
	}
	return m
}

// String is the machine as one markdown line.
func (m Machine) String() string {
	return fmt.Sprintf("Machine: %s, %d cores, %s RAM, %s; %s; %s; commit %s; load average at start %s",
		m.CPU, m.Cores, m.Memory, m.OS, m.Go, m.Date, orUnknown(m.Commit), m.Load)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// procField returns the numeric value (in kB for memory fields) of a
// "Name:   value kB" line in a /proc file, or 0.
func procField(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		return n
	}
	return 0
}

// PeakRSSKiB returns this process's resident-set high-water mark (VmHWM) in KiB.
func PeakRSSKiB() int64 { return procField("/proc/self/status", "VmHWM") }

// ChildPeakRSSKiB returns the peak RSS of a finished child process, from the
// rusage that wait4 returned (Maxrss, in KiB on Linux), or 0.
func ChildPeakRSSKiB(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// LoadAvg returns the 1-minute load average now.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// MiB formats KiB as MiB.
func MiB(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

// Run runs cmd with stdin from in (may be nil) and returns its wall time,
// its peak RSS and its combined output; the error carries the output's tail.
func Run(cmd *exec.Cmd, in io.Reader) (time.Duration, int64, string, error) {
	var out bytes.Buffer
	cmd.Stdin = in
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	rss := ChildPeakRSSKiB(cmd.ProcessState)
	if err != nil {
		tail := out.String()
		if len(tail) > 2000 {
			tail = "…" + tail[len(tail)-2000:]
		}
		return wall, rss, out.String(), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, tail)
	}
	return wall, rss, out.String(), nil
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted durations,
// by the nearest-rank method.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// Latencies summarises a set of durations.
type Latencies struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Summarise sorts d and returns its percentiles.
func Summarise(d []time.Duration) Latencies {
	slices.Sort(d)
	l := Latencies{N: len(d), P50: Percentile(d, 50), P90: Percentile(d, 90), P99: Percentile(d, 99)}
	if len(d) > 0 {
		l.Max = d[len(d)-1]
	}
	return l
}

// Ms formats a duration in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// Rate formats a per-second rate with thousands separators.
func Rate(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Count formats a count compactly: 1M, 10M, 250k, 1234.
func Count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// Table prints a markdown table header.
func Table(w io.Writer, cols ...string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	seps := make([]string, len(cols))
	for i := range seps {
		seps[i] = "---"
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
}

// Row prints a markdown table row.
func Row(w io.Writer, cells ...string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
