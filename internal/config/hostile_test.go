package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// billionLaughs nests levels lists of nine aliases to the level below:
// 9^levels scalars once expanded, from a few hundred bytes.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		prev := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 8), prev)
	}
	return b.String()
}

func TestLoadHostileInput(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "alias bomb",
			yaml: billionLaughs(9),
			want: []string{`h.yaml:7:5: the configuration expands to more than 1000000 YAML nodes (too many aliases)`},
		},
		{
			name: "alias bomb merged into a user",
			yaml: billionLaughs(9) + "users:\n  - <<: *l9\n",
			want: []string{`h.yaml:7:5: the configuration expands to more than 1000000 YAML nodes (too many aliases)`},
		},
		{
			name: "an anchor containing itself",
			yaml: "users: &x [*x]\n",
			want: []string{`h.yaml:1:8: anchor "x" contains an alias to itself`},
		},
		{
			name: "an alias to an unknown anchor",
			yaml: "users: [*nope]\n",
			want: []string{`h.yaml: invalid YAML: unknown anchor 'nope' referenced`},
		},
		{
			name: "deep nesting",
			yaml: "users: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			want: []string{`h.yaml:1:71: nesting is deeper than 64 levels`},
		},
		{
			name: "nesting beyond the parser's own limit",
			yaml: strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
			want: []string{`h.yaml: invalid YAML: exceeded max depth of 10000`},
		},
		{
			name: "a huge scalar",
			yaml: `users: [{id: "` + strings.Repeat("x", 70000) + `"}]` + "\n",
			want: []string{`h.yaml:1:14: value is 70000 bytes long; at most 65536 are allowed`},
		},
		{
			name: "a huge key",
			yaml: `"` + strings.Repeat("k", 60000) + `": 1` + "\n",
			want: []string{`h.yaml: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "a long key",
			yaml: "? " + strings.Repeat("k", 1000) + "\n: 1\n",
			want: []string{`h.yaml:1:3: key is 1000 bytes long; at most 128 are allowed`},
		},
		{
			name: "a long unknown key is shortened in the message",
			yaml: strings.Repeat("k", 100) + ": 1\n",
			want: []string{`h.yaml:1:1: ` + strings.Repeat("k", 100) + `: unknown field "` + strings.Repeat("k", 64) + `"...`},
		},
		{
			name: "too many items",
			yaml: "users: [" + strings.Repeat("1,", 600000) + "1]",
			want: []string{`h.yaml: file has about 600002 YAML items, more than the 500000 allowed`},
		},
		{
			name: "as many documents as allowed",
			yaml: strings.Repeat("users: []\n---\n", maxDocuments-1) + "users: []\n",
		},
		{
			name: "too many documents",
			yaml: strings.Repeat("---\n", 10001),
			want: []string{`h.yaml: file has more than 10000 YAML documents`},
		},
		{
			name: "binary garbage",
			yaml: "\x00\xff\xfe\x01",
			want: []string{`h.yaml: invalid YAML: control characters are not allowed`},
		},
		{
			name: "bad indentation",
			yaml: "users:\n  - id: a\n   time_zone: b\n",
			want: []string{`h.yaml:1:1: invalid YAML: did not find expected '-' indicator`},
		},
		{
			name: "a tab for indentation",
			yaml: "users:\n\t- id: a\n",
			want: []string{`h.yaml:2:1: invalid YAML: found character that cannot start any token`},
		},
		{
			name: "an unterminated list",
			yaml: "users: [",
			want: []string{`h.yaml:1:1: invalid YAML: did not find expected node content`},
		},
		{
			name: "documents before a syntax error still load",
			yaml: "users: [{id: Bad, time_zone: UTC}]\n---\nteams: [\n",
			want: []string{
				`h.yaml:1:14: users[0].id: invalid id "Bad"` + idRule,
				`h.yaml:3:1: invalid YAML: did not find expected node content`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := LoadBytes("h.yaml", []byte(tt.yaml))
			var got []string
			for _, p := range l.Problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadItemBudgetSpansFiles(t *testing.T) {
	l := newLoader()
	item := "users: [" + strings.Repeat("{id: a, time_zone: UTC},", 1) + "]\n"
	l.addFile("a.yaml", []byte(item))
	l.items = maxItems - 1 // as if earlier files had used the budget up
	l.addFile("b.yaml", []byte(item))
	got := l.finish().Problems
	want := []Problem{{File: "b.yaml", Message: fmt.Sprintf("with this file the configuration has about %d YAML items, more than the %d allowed", maxItems-1+countItems([]byte(item)), maxItems)}}
	if !slices.Equal(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

func TestCountItems(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a", 0},
		{"a: b\n", 2},              // ": " and newline
		{"- a\n- b\n", 4},          // two "- " and two newlines
		{"[a, b, {c: d}]", 5},      // '[', two ',', '{' and ": "
		{`{"a":1}`, 2},             // '{' and a colon after a quote
		{"id: pay-api-2026-01", 1}, // '-' inside a scalar is no item
		{"url: http://x:80/", 1},   // nor is ':' inside one
		{"? a\n: b\n", 4},
		{"a:", 1}, // an indicator at the very end
	}
	for _, tt := range tests {
		if got := countItems([]byte(tt.in)); got != tt.want {
			t.Errorf("countItems(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestLoadExpansionBudgetSpansDocuments(t *testing.T) {
	// Each document expands to about 670,000 nodes: one fits the budget,
	// two do not.
	doc := billionLaughs(5)
	l := LoadBytes("h.yaml", []byte(doc+"---\n"+doc))
	var expansions []string
	for _, p := range l.Problems {
		if strings.Contains(p.Message, "expands") {
			expansions = append(expansions, p.String())
		}
	}
	want := []string{`h.yaml:13:5: the configuration expands to more than 1000000 YAML nodes (too many aliases)`}
	if !slices.Equal(expansions, want) {
		t.Errorf("expansion problems = %v, want %v", expansions, want)
	}
}
