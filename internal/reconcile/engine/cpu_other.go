//go:build !unix

package engine

// cpuSeconds is unknown here; the summary then omits pairs per CPU second.
func cpuSeconds() float64 { return 0 }
