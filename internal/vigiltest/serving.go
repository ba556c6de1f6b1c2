package vigiltest

import (
	"bufio"
	"encoding/json"
	"strings"
)

// ServingAddr finds the address in the "vigil serving" line of a vigil
// serve's JSON log, or returns "" while it has not been logged: serve
// listens on a port the kernel picks, and this line is where it says which.
func ServingAddr(log string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	// A long line before the address (a logged configuration error, say)
	// must not end the search.
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "vigil serving" {
			return line.Addr
		}
	}
	return ""
}
