package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// The conventions every command follows: --help prints the command's usage,
// every flag and the environment variable beside it, on standard error, and
// exits 0; an unknown command or flag is named on the first line, with a
// one-line hint (the nearest name, if one is close); no command creates a
// folder it was not asked to create (requireData).

// help writes the usage of the flag set: what the command does, its flags
// with their variables, and the variables it reads that are no flags.
func (f *flags) help() {
	w := f.out
	name := strings.TrimPrefix(f.fs.Name(), "populus ")
	fmt.Fprintf(w, "Usage: populus %s [flags]%s\n", name, f.argsUsage)
	if f.summary != "" {
		fmt.Fprintf(w, "\n%s\n", f.summary)
	}
	n := 0
	f.fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags (one that shows ($VARIABLE) can also be set with that environment variable):")
		f.fs.SetOutput(w)
		f.fs.PrintDefaults()
		f.fs.SetOutput(io.Discard)
	}
	if len(f.envNotes) > 0 {
		fmt.Fprintln(w, "\nEnvironment variables read besides:")
		for _, e := range f.envNotes {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// usageError rewrites an error of the flag package as one line naming the
// command, the flag at fault and where to look.
// kindOf says what the flag name takes, for its refusal.
func (f *flags) kindOf(name string) string {
	fl := f.fs.Lookup(name)
	if fl == nil {
		return "a valid value"
	}
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return "a valid value"
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "a whole number"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case time.Duration:
		return "a duration such as 30s, 5m or 1h"
	}
	return "a valid value"
}

// invalidValue is the flag package's refusal of a value.
var invalidValue = regexp.MustCompile(`^invalid value ("(?:[^"\\]|\\.)*") for flag -+([^:]+): (.*)$`)

func (f *flags) usageError(err error) error {
	cmd := strings.TrimPrefix(f.fs.Name(), "populus ")
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var known []string
		f.fs.VisitAll(func(fl *flag.Flag) { known = append(known, fl.Name) })
		msg = fmt.Sprintf("unknown flag --%s", name)
		if s := nearest(name, known); s != "" {
			msg += fmt.Sprintf("; did you mean --%s?", s)
		}
	} else if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		msg = fmt.Sprintf("the flag --%s needs a value", strings.TrimLeft(name, "-"))
	} else if m := invalidValue.FindStringSubmatch(msg); m != nil {
		// invalid value "abc" for flag -people: parse error
		msg = fmt.Sprintf("--%s: %s is not %s", m[2], m[1], f.kindOf(m[2]))
	}
	return fmt.Errorf("%s: %s Run 'populus %s --help'.", cmd, sentence(msg), cmd)
}

// sentence ends s with a full stop, unless it ends with a question mark.
func sentence(s string) string {
	if strings.HasSuffix(s, "?") || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// nearest returns the name of names closest to s, if one is close enough
// to be a likely typing mistake (at most two edits, or a prefix).
func nearest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(s, n)
		if len(s) >= 3 && strings.HasPrefix(n, s) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, by bytes (names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unknownSubcommand is the error for sub, not a subcommand of command
// (one of subs), with the nearest one as a hint.
func unknownSubcommand(command, sub string, subs []string) error {
	msg := fmt.Sprintf("%s: unknown subcommand %q", command, sub)
	if n := nearest(sub, subs); n != "" {
		msg += fmt.Sprintf("; did you mean %q?", n)
	}
	return fmt.Errorf("%s Run 'populus %s --help'.", sentence(msg), command)
}

// requireData refuses to open the embedded store of a data directory that
// does not exist, for the commands that read a store rather than make one
// (reconcile, synth, the staff commands but create): run beside a demo
// started with another --data, they would otherwise create an empty
// ./populus-data and report an empty register.
func requireData(c config) error {
	if c.DB != "" || c.Data == "" || c.MayCreate {
		return nil
	}
	if _, err := os.Stat(c.Data); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--data %s: there is no store there (the directory does not exist); "+
			"give the --data (or --db) of the server you mean, e.g. the one the demo was started with, "+
			"or create a store with 'populus serve' or 'populus migrate'", c.Data)
	}
	return nil
}
