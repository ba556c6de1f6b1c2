package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration. File, Line and Column are
// set when the configuration came from files; Path names the offending field
// in the document, such as "services[3].depends_on[0].kind".
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as "file:line:col: path: message", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// sortProblems orders problems by file, line and column. The sort is stable
// so that problems without a position keep the order they were found in,
// which follows the order of the bundle.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// suggester finds likely typos. Comparisons are budgeted so that a hostile
// configuration with many unknown names against many candidates stays cheap;
// once the budget is spent, problems simply come without a suggestion.
type suggester struct {
	budget  int
	scratch []int // rows for editDistance, reused
}

const suggestBudget = 100_000 // comparisons per load or validation

func newSuggester() *suggester { return &suggester{budget: suggestBudget} }

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// got, or "" when none is close enough to be a likely typo.
func (s *suggester) didYouMean(got string, candidates []string) string {
	return meant(s.closest(got, candidates))
}

// meant formats a suggestion as didYouMean does.
func meant(candidate string) string {
	if candidate == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", candidate)
}

// closest returns the candidate closest to got, or "" when none is close
// enough to be a likely typo.
func (s *suggester) closest(got string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		if s.budget <= 0 {
			break
		}
		s.budget--
		d, ok := s.closeEnough(got, c)
		if !ok {
			continue
		}
		if best == "" || d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// closeEnough reports the edit distance between a and b when it is small
// enough for b to be what a meant: at most 2 edits, and fewer than half the
// length of b so that short names do not all suggest each other.
func (s *suggester) closeEnough(a, b string) (int, bool) {
	const maxEdits = 2
	if a == b || abs(len(a)-len(b)) > maxEdits {
		return 0, false
	}
	if need := 3 * (len(b) + 1); cap(s.scratch) < need {
		s.scratch = make([]int, need)
	}
	d := editDistance(a, b, maxEdits, s.scratch)
	if d > maxEdits || 2*d >= len(b) {
		return 0, false
	}
	return d, true
}

// editDistance is the Damerau–Levenshtein distance (optimal string
// alignment) over bytes, so that a transposition such as "afetr" for
// "after" counts as one edit. It stops early with a result above limit once
// no alignment can stay within it. scratch, if it holds 3*(len(b)+1)
// ints, saves allocating the rows.
func editDistance(a, b string, limit int, scratch []int) int {
	n := len(b) + 1
	if len(scratch) < 3*n {
		scratch = make([]int, 3*n)
	}
	prev2, prev, cur := scratch[:n], scratch[n:2*n], scratch[2*n:3*n]
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		// A transposition reaches back two rows, so stop only when both
		// the last two rows are beyond the limit.
		if rowMin > limit && prevMin > limit {
			return limit + 1
		}
		prevMin = rowMin
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
