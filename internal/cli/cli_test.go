package cli

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// commandPaths lists every command, and every verb of the commands that
// have verbs, as the words that run it: ["serve"], ["incident", "ack"]...
func commandPaths() [][]string {
	var paths [][]string
	for name, c := range commands() {
		if c.verbs == nil {
			paths = append(paths, []string{name})
			continue
		}
		for verb := range c.verbs {
			paths = append(paths, []string{name, verb})
		}
	}
	sort.Slice(paths, func(i, j int) bool { return strings.Join(paths[i], " ") < strings.Join(paths[j], " ") })
	return paths
}

// TestHelpEveryCommand: asking any command for help prints its usage once,
// on stdout, and succeeds; a flag it does not know prints the usage once,
// on stderr, and fails with exit 2.
func TestHelpEveryCommand(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 20 {
		t.Fatalf("only %d commands and verbs found: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			for _, help := range []string{"-h", "--help", "-help"} {
				code, out, errOut := run(t, nil, append(append([]string{}, path...), help)...)
				if code != exitOK || !strings.HasPrefix(out, "Usage: vigil "+name+" ") || strings.Count(out, "Usage:") != 1 || errOut != "" {
					t.Errorf("%s %s: exit %d\nstdout %q\nstderr %q", name, help, code, out, errOut)
				}
				if !strings.Contains(out, "Flags:\n") {
					t.Errorf("%s %s: no flags listed:\n%s", name, help, out)
				}
			}
			code, out, errOut := run(t, nil, append(append([]string{}, path...), "--no-such-flag")...)
			if code != exitError || out != "" || strings.Count(errOut, "Usage: vigil "+name+" ") != 1 || !strings.Contains(errOut, "no-such-flag") {
				t.Errorf("%s --no-such-flag: exit %d\nstdout %q\nstderr %q", name, code, out, errOut)
			}
		})
	}
	for _, help := range []string{"help", "-h", "--help"} {
		code, out, errOut := run(t, nil, help)
		if code != exitOK || !strings.Contains(out, "Commands:") || errOut != "" {
			t.Errorf("vigil %s: exit %d, stdout %q, stderr %q", help, code, out, errOut)
		}
	}
}

// TestVerbs: every command with verbs answers help, a missing verb and an
// unknown one alike.
func TestVerbs(t *testing.T) {
	for cmd, c := range commands() {
		if c.verbs == nil {
			continue
		}
		t.Run(cmd, func(t *testing.T) {
			for _, help := range []string{"help", "-h", "--help"} {
				if code, out, errOut := run(t, nil, cmd, help); code != exitOK || !strings.HasPrefix(out, "Usage: vigil "+cmd) || errOut != "" {
					t.Errorf("%s %s: exit %d, stdout %q, stderr %q", cmd, help, code, out, errOut)
				}
			}
			if code, out, _ := run(t, nil, cmd); code != exitError || !strings.HasPrefix(out, "Usage: vigil "+cmd) {
				t.Errorf("%s alone: exit %d, stdout %q", cmd, code, out)
			}
			for _, bad := range []string{"nope", "", "-x", strings.Repeat("v", 10000)} {
				code, out, errOut := run(t, nil, cmd, bad)
				if code != exitError || out != "" || !strings.Contains(errOut, "unknown verb") {
					t.Errorf("%s %.20q: exit %d, stdout %q, stderr %.80q", cmd, bad, code, out, errOut)
				}
			}
			for verb := range c.verbs {
				if !strings.Contains(c.usage, verb) {
					t.Errorf("%s usage does not name the verb %s:\n%s", cmd, verb, c.usage)
				}
			}
		})
	}
}

// TestArguments: flags and arguments mix in any order, "--" ends the
// flags, and a command that takes no arguments refuses them.
func TestArguments(t *testing.T) {
	cases := []struct {
		args     []string
		wantPos  []string
		wantNote string
		wantCode int
		wantDone bool
	}{
		{[]string{"12", "--note", "x"}, []string{"12"}, "x", exitOK, false},
		{[]string{"--note", "x", "12", "13"}, []string{"12", "13"}, "x", exitOK, false},
		{[]string{"12", "--note=7", "13"}, []string{"12", "13"}, "7", exitOK, false},
		{[]string{"--", "-5", "--note"}, []string{"-5", "--note"}, "", exitOK, false},
		{[]string{"12", "--note"}, nil, "", exitError, true},
		{[]string{"12", "-h"}, nil, "", exitOK, true},
		{nil, nil, "", exitOK, false},
	}
	for _, c := range cases {
		var out, errOut strings.Builder
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		fs := newFlags("t", "[ID...]", env)
		note := fs.String("note", "", "a note")
		pos, code, done := parseArgs(fs, c.args, env)
		if strings.Join(pos, "|") != strings.Join(c.wantPos, "|") || *note != c.wantNote || code != c.wantCode || done != c.wantDone {
			t.Errorf("%q: positional %q note %q code %d done %v; want %q %q %d %v", c.args, pos, *note, code, done, c.wantPos, c.wantNote, c.wantCode, c.wantDone)
		}
	}
	if code, _, errOut := run(t, nil, "version", "extra"); code != exitError || !strings.Contains(errOut, "unexpected arguments: extra") {
		t.Errorf("version extra: exit %d, stderr %q", code, errOut)
	}
}

// TestREADMECommandTable: the README's table of commands names every
// command and verb, each in one row only.
func TestREADMECommandTable(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "\n## Commands\n")
	if !ok {
		t.Fatal("README has no Commands section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	cmds := commands()
	rowOf := map[string]int{}
	snippet := regexp.MustCompile("`vigil ([a-z-]+)(?: ([a-z|-]+))?")
	for i, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `vigil ") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
		first = strings.ReplaceAll(first, `\|`, "|") // a | inside a table cell
		named := map[string]bool{}
		for _, m := range snippet.FindAllStringSubmatch(first, -1) {
			c, ok := cmds[m[1]]
			if !ok {
				t.Errorf("README line %q: no command %q", line, m[1])
				continue
			}
			if c.verbs == nil {
				named[m[1]] = true
				continue
			}
			for _, verb := range strings.Split(m[2], "|") {
				named[m[1]+" "+verb] = true
			}
		}
		for path := range named {
			if prev, dup := rowOf[path]; dup {
				t.Errorf("README lists vigil %s in two rows (%d and %d of the section)", path, prev, i)
			}
			rowOf[path] = i
		}
	}
	for _, path := range commandPaths() {
		if name := strings.Join(path, " "); rowOf[name] == 0 {
			t.Errorf("README's Commands table does not list vigil %s", name)
		}
	}
}
