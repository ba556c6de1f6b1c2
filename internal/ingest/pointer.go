package ingest

import (
	"errors"
	"strconv"
	"strings"
)

// parsePointer splits a JSON pointer (RFC 6901) into its reference tokens,
// unescaped: "~1" is "/" and "~0" is "~". The empty pointer names the whole
// document and has no tokens.
func parsePointer(pointer string) ([]string, error) {
	if pointer == "" {
		return nil, nil
	}
	if pointer[0] != '/' {
		return nil, errors.New("must be empty or start with /")
	}
	tokens := strings.Split(pointer[1:], "/")
	for i, tok := range tokens {
		if !strings.Contains(tok, "~") {
			continue
		}
		for j := 0; j < len(tok); j++ {
			if tok[j] != '~' {
				continue
			}
			if j+1 == len(tok) || (tok[j+1] != '0' && tok[j+1] != '1') {
				return nil, errors.New("~ must be followed by 0 or 1")
			}
			j++
		}
		// "~1" first: "~01" is the token "~1", not "/".
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// resolvePointer finds the value that parsed pointer tokens reference in a
// decoded JSON document. It reports false when there is none: a missing
// key, an index past the end (or "-", which names the element after the
// last), or a token that steps into a scalar.
func resolvePointer(doc any, tokens []string) (any, bool) {
	cur := doc
	for _, tok := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// arrayIndex parses an array index token: "0" or digits without a leading
// zero, as RFC 6901 requires.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	for _, c := range []byte(tok) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(tok)
	return i, err == nil
}
