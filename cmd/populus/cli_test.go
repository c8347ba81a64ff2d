package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// recordingEnv is an environment that remembers which variables were read.
type recordingEnv struct {
	mu   sync.Mutex
	read map[string]bool
}

func (e *recordingEnv) get(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read[k] = true
	return ""
}

// everyCommand lists every command and subcommand, as typed.
func everyCommand() [][]string {
	var out [][]string
	for _, c := range commands() {
		out = append(out, []string{c.name})
	}
	for _, c := range staffCommands {
		out = append(out, []string{"staff", c.name})
	}
	return append(out, []string{"synth", "sector"}, []string{"reconcile", "report"}, []string{"audit", "verify"}, []string{"places", "import"}, []string{"places", "list"})
}

// Every command's --help exits 0 (run returns nil), writes to standard
// output, opens with its usage line, and names every flag and every
// environment variable the command read while setting up its flags.
func TestEveryCommandHelp(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, cmd := range everyCommand() {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			env := &recordingEnv{read: map[string]bool{}}
			var out, errb bytes.Buffer
			if err := run(context.Background(), append(cmd, "--help"), env.get, &out, &errb); err != nil {
				t.Fatalf("--help: %v", err)
			}
			// Asked for, the help is the output: standard output, nothing
			// on standard error.
			help := out.String()
			if errb.Len() != 0 {
				t.Errorf("--help wrote to standard error:\n%s", errb.String())
			}
			if !strings.HasPrefix(help, "Usage: populus "+cmd[0]) {
				t.Errorf("--help does not open with its usage:\n%s", help)
			}
			for v := range env.read {
				if !strings.Contains(help, v) {
					t.Errorf("reads $%s but --help does not name it:\n%s", v, help)
				}
			}
			if cmd[0] == "staff" && len(cmd) == 1 {
				for _, c := range staffCommands {
					if !strings.Contains(help, "  "+c.name+" ") {
						t.Errorf("staff --help does not list %s", c.name)
					}
				}
				return
			}
			// The flags in the help are the flags the command takes:
			// each is accepted (a wrong value aside, never "unknown").
			for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
				err := run(context.Background(), append(append([]string{}, cmd...), "--"+m[1]+"=x", "--help"), env.get, &out, &errb)
				if err != nil && strings.Contains(err.Error(), "unknown flag") {
					t.Errorf("--help lists --%s, which the command refuses: %v", m[1], err)
				}
			}
		})
	}
}

// A wrong flag is named on the error's first line with where to look, and
// a close one is suggested; nothing else is written.
func TestEveryCommandRefusesUnknownFlags(t *testing.T) {
	for _, cmd := range everyCommand() {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append(cmd, "--bogus"), env(nil), &out, &errb)
			if err == nil {
				t.Fatal("--bogus accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "--bogus") || !strings.Contains(msg, "--help") {
				t.Errorf("error %q does not name --bogus and --help on one line", msg)
			}
			if errb.Len() > 0 && cmd[0] != "staff" && cmd[0] != "synth" {
				t.Errorf("wrote besides the error:\n%s", errb.String())
			}
		})
	}
}

func TestCLIConventions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		ok      bool
		out     string // in stdout
		errLine string // the error, exactly, when it fails
	}{
		{args: []string{"--version"}, ok: true, out: "populus " + version},
		{args: []string{"version"}, ok: true, out: "populus " + version},
		{args: []string{"--help"}, ok: true},
		{args: []string{"help", "staff", "create"}, ok: true},
		{args: []string{"help", "sevre"}, errLine: `unknown command "sevre"; did you mean "serve"? Run 'populus --help'.`},
		{args: []string{"version", "--bogus"}, errLine: "version: unknown flag --bogus. Run 'populus version --help'."},
		{args: []string{"version", "extra"}, errLine: `version: unexpected argument "extra". Run 'populus version --help'.`},
		{args: []string{"sevre"}, errLine: `unknown command "sevre"; did you mean "serve"? Run 'populus --help'.`},
		{args: []string{"frobnicate"}, errLine: `unknown command "frobnicate". Run 'populus --help'.`},
		{args: []string{"serve", "--dat", "x"}, errLine: "serve: unknown flag --dat; did you mean --data? Run 'populus serve --help'."},
		{args: []string{"seed", "--people", "abc"}, errLine: `seed: --people: "abc" is not a whole number. Run 'populus seed --help'.`},
		{args: []string{"staff", "lst"}, errLine: `staff: unknown subcommand "lst"; did you mean "list"? Run 'populus staff --help'.`},
		{args: []string{"staff", "disable"}, errLine: "staff disable: missing argument USERNAME. Run 'populus staff disable --help'."},
		{args: []string{"migrate", "--data", "x", "--db", "postgres://u@h/db"}, errLine: "migrate: --data (the embedded SQLite store) and --db (PostgreSQL) choose different stores: give one. Run 'populus migrate --help'."},
		{args: []string{"synth", "sectr"}, errLine: `synth: unknown subcommand "sectr"; the one subcommand is "sector". Run 'populus synth --help'.`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tc.args, env(nil), &out, &errb)
			if tc.ok {
				if err != nil || !strings.Contains(out.String(), tc.out) {
					t.Errorf("err = %v, stdout %q; want success with %q", err, out.String(), tc.out)
				}
				return
			}
			if err == nil || err.Error() != tc.errLine {
				t.Errorf("err = %v\nwant   %s", err, tc.errLine)
			}
		})
	}
}

// Commands that read a store refuse a --data that does not exist, and
// create nothing: neither the folder nor their output.
func TestReadingCommandsCreateNoFolder(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "populus-data")
	for _, args := range [][]string{
		{"staff", "list", "--data", missing},
		{"staff", "disable", "someone", "--data", missing},
		{"synth", "sector", "--data", missing, "--out", filepath.Join(dir, "drivers.csv")},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), args, env(nil), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "no store there") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) > 0 {
		t.Errorf("left behind: %v", names)
	}
}

// The demo's welcome gives the commands with the demo's store.
func TestWelcomeCommandsNameTheStore(t *testing.T) {
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{Data: "/tmp/demo data"}, "--data '/tmp/demo data'"},
		{config{Data: "./populus-data"}, "--data ./populus-data"},
		{config{DB: "postgres://u:secret@h/db"}, "--db postgres://u:xxxxx@h/db"},
	} {
		if got := storeArgs(tc.c); got != tc.want {
			t.Errorf("storeArgs(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

// readmeCommand is a command line of the README or the docs: populus run
// as a built binary or with go run.
var readmeCommand = regexp.MustCompile(`(?m)^\s+(?:\./populus|go run \./cmd/populus) (.+)$`)

// shellWords splits a command line as a POSIX shell would for the simple
// lines of the docs: words separated by spaces, single quotes kept
// together.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// Every populus command line of the README and the docs names a command
// and flags that exist: each is run with --help added, which parses the
// flags given first and then stops.
func TestDocumentedCommandLinesParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "..", "README.md"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range readmeCommand.FindAllStringSubmatch(string(b), -1) {
			args := shellWords(m[1])
			n++
			var out, errb bytes.Buffer
			if err := run(context.Background(), append(args, "--help"), env(nil), &out, &errb); err != nil {
				t.Errorf("%s: populus %s: %v", filepath.Base(f), m[1], err)
			}
		}
	}
	if n < 8 {
		t.Errorf("found %d command lines in the docs: is the pattern still right?", n)
	}
}
