package vigiltest

import (
	"strings"
	"testing"
)

func TestServingAddr(t *testing.T) {
	serving := `{"time":"2026-11-26T05:00:00Z","level":"INFO","msg":"vigil serving","addr":"127.0.0.1:40123","db":"sqlite:x"}`
	cases := []struct {
		name, log, want string
	}{
		{"the line alone", serving, "127.0.0.1:40123"},
		{"after other lines", `{"msg":"migrated","addr":"no"}` + "\n" + serving + "\n", "127.0.0.1:40123"},
		{"after text that is not JSON", "panic: nothing\n{\"msg\":\n" + serving, "127.0.0.1:40123"},
		{"after a long line", strings.Repeat("x", 200<<10) + "\n" + serving, "127.0.0.1:40123"},
		{"not logged yet", `{"msg":"opening database"}` + "\n", ""},
		{"the message only in another field", `{"msg":"x","detail":"vigil serving","addr":"1.2.3.4:5"}`, ""},
		{"half a line", serving[:40], ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		if got := ServingAddr(c.log); got != c.want {
			t.Errorf("%s: ServingAddr = %q, want %q", c.name, got, c.want)
		}
	}
}
