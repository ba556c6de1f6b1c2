package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Loaded is a configuration read from files.
type Loaded struct {
	// Bundle merges every file and document, in file name order.
	Bundle Bundle
	// Problems lists everything wrong, sorted by file and line. The
	// configuration is usable only when it is empty.
	Problems []Problem
	// OpenSLO holds the documents that have an apiVersion key (OpenSLO
	// SLOs and data sources), set aside for their own parser.
	OpenSLO []Document
	// Files are the files read, in order.
	Files []string
}

// Document is one YAML document of a file, kept as parsed.
type Document struct {
	File string
	Line int
	// Node is the document's root mapping; node positions are the file's.
	Node *yaml.Node
}

// Load reads configuration files: each path is a file, or a directory whose
// *.yaml and *.yml files (directly in it) are read in name order. Top-level
// lists merge across files and documents; org keys merge, each set once. A
// file named twice is read once. The error is non-nil only when the files
// cannot be read: everything wrong with their content is in Problems.
func Load(paths ...string) (*Loaded, error) {
	if len(paths) == 0 {
		return nil, errors.New("load configuration: no file or directory given")
	}
	l := newLoader()
	var files []string
	seen := map[string]bool{}
	for _, path := range paths {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("load configuration: %w", err)
		}
		found := []string{path}
		if info.IsDir() {
			if found, err = configFiles(path); err != nil {
				return nil, err
			}
			if len(found) == 0 {
				l.problem(Problem{File: path, Message: "no *.yaml or *.yml files in this directory"})
			}
		}
		for _, f := range found {
			if key := filepath.Clean(f); !seen[key] {
				seen[key] = true
				files = append(files, f)
			}
		}
	}
	total := 0
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, err
		}
		if total += len(data); total > maxTotalSize {
			l.problem(Problem{File: f, Message: fmt.Sprintf("the configuration is larger than %d MiB in all; stopped reading here", maxTotalSize>>20)})
			break
		}
		l.addFile(f, data)
	}
	return l.finish(), nil
}

// LoadBytes reads one file's content, as Load would read a file of that name.
func LoadBytes(name string, data []byte) *Loaded {
	l := newLoader()
	l.addFile(name, data)
	return l.finish()
}

// configFiles lists a directory's YAML files, sorted by name. Hidden files
// (editor backups and the like) and subdirectories are left out.
func configFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
			continue
		}
		p := filepath.Join(dir, name)
		info, err := os.Stat(p) // follows symbolic links
		if err != nil {
			return nil, fmt.Errorf("load configuration: %w", err)
		}
		if info.Mode().IsRegular() {
			files = append(files, p)
		}
	}
	return files, nil
}

// readLimited reads at most one byte more than a file may hold, so that an
// oversized file is refused without reading all of it.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load configuration: read %s: %w", path, err)
	}
	return data, nil
}

// loader merges documents into one bundle and remembers where each field
// path of the merged bundle came from, so that Validate's path-only problems
// can be given a file and line.
type loader struct {
	out      Loaded
	dec      *decoder
	places   map[string]place // merged path -> where it came from
	failed   map[string]bool  // merged paths that could not be decoded
	orgSet   map[string]place // org key -> where it was first set
	items    int              // YAML items read so far, see maxItems
	expanded int              // YAML nodes decoded so far, see maxExpanded
}

// place is where a merged field path sits: its file position and its path
// within that document, whose list indexes count from the document's start.
type place struct {
	file      string
	line, col int
	local     string
}

func newLoader() *loader {
	return &loader{
		dec:    newDecoder(newSuggester()),
		places: map[string]place{},
		failed: map[string]bool{},
		orgSet: map[string]place{},
	}
}

func (l *loader) problem(p Problem) { l.out.Problems = append(l.out.Problems, p) }

func (l *loader) addFile(name string, data []byte) {
	l.out.Files = append(l.out.Files, name)
	if len(data) > maxFileSize {
		l.problem(Problem{File: name, Message: fmt.Sprintf("file is larger than %d MiB", maxFileSize>>20)})
		return
	}
	n := countItems(data)
	switch {
	case n > maxItems:
		l.problem(Problem{File: name, Message: fmt.Sprintf("file has about %d YAML items, more than the %d allowed", n, maxItems)})
		return
	case l.items+n > maxItems:
		l.problem(Problem{File: name, Message: fmt.Sprintf("with this file the configuration has about %d YAML items, more than the %d allowed", l.items+n, maxItems)})
		return
	}
	l.items += n
	defer l.keepOpenSLOText(name, data, len(l.out.OpenSLO))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for docs := 0; ; docs++ {
		var doc yaml.Node
		err := decodeNext(dec, &doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			l.problem(syntaxProblem(name, err))
			return
		}
		if docs == maxDocuments {
			l.problem(Problem{File: name, Message: fmt.Sprintf("file has more than %d YAML documents", maxDocuments)})
			return
		}
		l.addDocument(name, &doc)
	}
}

// keepOpenSLOText adds to the bundle the text of the OpenSLO documents
// that file set aside from index first on, so that they travel with it.
// A document runs from its first line to the next document marker ("---"
// or "..." at the start of a line), which YAML allows nowhere inside one.
func (l *loader) keepOpenSLOText(file string, data []byte, first int) {
	lines := strings.SplitAfter(string(data), "\n")
	for _, d := range l.out.OpenSLO[first:] {
		start := d.Line - 1
		if start < 0 || start >= len(lines) {
			continue
		}
		end := start + 1
		for end < len(lines) && !documentMarker(lines[end]) {
			end++
		}
		l.out.Bundle.OpenSLO = append(l.out.Bundle.OpenSLO, OpenSLODocument{
			File: file, Line: d.Line, YAML: strings.Join(lines[start:end], ""),
		})
	}
}

func documentMarker(line string) bool {
	for _, m := range []string{"---", "..."} {
		if rest, ok := strings.CutPrefix(line, m); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r') {
			return true
		}
	}
	return false
}

// decodeNext parses the next document. The parser is third-party code fed
// untrusted input: a panic in it becomes a problem with the file rather than
// a crash of the server that loads it.
func decodeNext(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(doc)
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): `)

func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	p := Problem{File: file}
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column = 1
		msg = msg[len(m[0]):]
	}
	p.Message = "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
	return p
}

func (l *loader) addDocument(file string, doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return // only comments, or an empty document between "---" lines
	}
	size, lerr := checkLimits(doc, maxExpanded-l.expanded)
	if lerr != nil {
		l.problem(Problem{File: file, Line: lerr.node.Line, Column: lerr.node.Column, Message: lerr.msg})
		return
	}
	l.expanded += size
	if root.Kind != yaml.MappingNode {
		l.problem(Problem{File: file, Line: root.Line, Column: root.Column,
			Message: "expected a mapping with org, users, teams, schedules, escalation_policies, services or operations, got " + describe(root)})
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "apiVersion" {
			l.out.OpenSLO = append(l.out.OpenSLO, Document{File: file, Line: root.Line, Node: root})
			return
		}
	}

	var b Bundle
	l.dec.startDocument(file)
	l.dec.decode(root, reflect.ValueOf(&b).Elem(), "")

	acc := &l.out.Bundle
	offsets := map[string]int{
		"users": len(acc.Users), "teams": len(acc.Teams), "schedules": len(acc.Schedules),
		"escalation_policies": len(acc.EscalationPolicies), "services": len(acc.Services),
		"operations": len(acc.Operations),
	}
	l.mergeOrg(file, &b)
	for local, pos := range l.dec.pos {
		merged := shiftPath(local, offsets)
		if _, ok := l.places[merged]; !ok {
			l.places[merged] = place{file: file, line: pos.line, col: pos.col, local: local}
		}
	}
	for _, local := range l.dec.failed {
		l.failed[shiftPath(local, offsets)] = true
	}
	acc.Users = append(acc.Users, b.Users...)
	acc.Teams = append(acc.Teams, b.Teams...)
	acc.Schedules = append(acc.Schedules, b.Schedules...)
	acc.EscalationPolicies = append(acc.EscalationPolicies, b.EscalationPolicies...)
	acc.Services = append(acc.Services, b.Services...)
	acc.Operations = append(acc.Operations, b.Operations...)
}

// mergeOrg copies the org keys this document sets into the merged bundle;
// a key set by an earlier document is a problem, and the first value stays.
func (l *loader) mergeOrg(file string, b *Bundle) {
	org := reflect.ValueOf(&b.Org).Elem()
	acc := reflect.ValueOf(&l.out.Bundle.Org).Elem()
	fields := l.dec.fieldsOf(org.Type())
	for _, name := range fields.names {
		pos, set := l.dec.pos["org."+name]
		if !set {
			continue
		}
		if first, dup := l.orgSet[name]; dup {
			l.problem(Problem{File: file, Line: pos.line, Column: pos.col, Path: "org." + name,
				Message: fmt.Sprintf("org.%s is already set at %s:%d", name, first.file, first.line)})
			continue
		}
		l.orgSet[name] = place{file: file, line: pos.line, col: pos.col}
		i := fields.index[name]
		acc.Field(i).Set(org.Field(i))
	}
}

// shiftPath turns a document's path into the merged bundle's by adding the
// number of earlier items to its top-level list index:
// "services[1].owner" with 3 earlier services is "services[4].owner".
func shiftPath(path string, offsets map[string]int) string {
	open := strings.IndexByte(path, '[')
	if open < 0 {
		return path
	}
	off, ok := offsets[path[:open]]
	if !ok || off == 0 {
		return path
	}
	end := open + strings.IndexByte(path[open:], ']')
	n, err := strconv.Atoi(path[open+1 : end])
	if err != nil {
		return path
	}
	return path[:open+1] + strconv.Itoa(n+off) + path[end:]
}

// finish validates the merged bundle and places each problem in its file.
func (l *loader) finish() *Loaded {
	l.out.Problems = append(l.out.Problems, l.dec.problems...)
	for _, p := range Validate(&l.out.Bundle) {
		if l.underFailed(p.Path) {
			continue // the decoding problem there says it already
		}
		l.locate(&p)
		l.out.Problems = append(l.out.Problems, p)
	}
	sortProblems(l.out.Problems)
	l.out.Problems = compactProblems(l.out.Problems)
	return &l.out
}

// parent drops a path's last segment: "a.b[2]" -> "a.b" -> "a" -> "".
func parent(path string) string {
	return path[:max(strings.LastIndexAny(path, ".["), 0)]
}

func (l *loader) underFailed(path string) bool {
	for p := path; p != ""; p = parent(p) {
		if l.failed[p] {
			return true
		}
	}
	return false
}

// locate gives a problem the position of its path, or of the nearest
// enclosing path when the field itself is missing from the file, and
// rewrites the path to count list items within that file's document.
func (l *loader) locate(p *Problem) {
	for at := p.Path; at != ""; at = parent(at) {
		if pl, ok := l.places[at]; ok {
			p.File, p.Line, p.Column = pl.file, pl.line, pl.col
			p.Path = pl.local + p.Path[len(at):]
			return
		}
	}
}

// compactProblems drops repeats from sorted problems: a mistake inside an
// anchored node is met again, under another path, wherever an alias or
// merge key brings the node in, and one fix at that place mends them all.
func compactProblems(ps []Problem) []Problem {
	type at struct {
		file         string
		line, column int
		message      string
	}
	out := ps[:0]
	seen := map[at]bool{}
	for _, p := range ps {
		k := at{p.File, p.Line, p.Column, p.Message}
		if p.File == "" || !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}
