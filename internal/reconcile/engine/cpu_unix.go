//go:build unix

package engine

import "syscall"

// cpuSeconds is the CPU time, user and system, of the whole process so far;
// the match pass reports its pairs per CPU second, which holds when other
// processes share the cores and wall-clock rates do not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
