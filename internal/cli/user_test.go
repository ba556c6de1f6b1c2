package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// runInput is run with standard input.
func runInput(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }, Version: "test"}
	code = Run(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

// login signs in to the web UI's API and returns the session token, or ""
// when the password is refused.
func login(t *testing.T, server, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	resp, err := http.Post(server+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return ""
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func TestUserSetPassword(t *testing.T) {
	server := startServer(t, "")
	admin := map[string]string{"VIGIL_SERVER": server, "VIGIL_TOKEN": testAdminToken}
	const first, second = "correct horse battery", "staple 12345 staple"

	cases := []struct {
		name, stdin string
		args        []string
		code        int
		out, err    string
	}{
		{"too short: refused before asking the server", "short pass\n", []string{"anna"}, exitFail, "",
			"vigil user set-password: a password needs at least 12 characters\n"},
		{"no password", "", []string{"anna"}, exitError, "",
			"vigil user set-password: no password on standard input (one a line)\n"},
		{"longer than a password may be", strings.Repeat("x", 2000) + "\n", []string{"anna"}, exitError, "",
			"vigil user set-password: a line of standard input is longer than the 1024 bytes a password may have\n"},
		{"no user", first + "\n", nil, exitError, "", "vigil user set-password: give one user id\n"},
		{"unknown user", first + "\n", []string{"nobody"}, exitFail, "",
			"vigil user set-password: server answered 404: user \"nobody\" not found\n"},
		{"the admin sets it", first + "\r\n", []string{"anna"}, exitOK, "password of anna set; their other web UI sessions have ended\n", ""},
	}
	for _, c := range cases {
		code, out, errOut := runInput(t, admin, c.stdin, append([]string{"user", "set-password"}, c.args...)...)
		if code != c.code || out != c.out || errOut != c.err {
			t.Errorf("%s: exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", c.name, code, out, errOut, c.code, c.out, c.err)
		}
	}
	session := login(t, server, "anna", first)
	if session == "" {
		t.Fatal("anna cannot sign in with the password just set")
	}

	// Anna changes her own password: her token must give the current one.
	anna := map[string]string{"VIGIL_SERVER": server, "VIGIL_TOKEN": session}
	if code, _, errOut := runInput(t, anna, second+"\n", "user", "set-password", "anna"); code != exitFail || !strings.Contains(errOut, "current_password is required") {
		t.Errorf("without --current: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runInput(t, anna, "wrong current pass\n"+second+"\n", "user", "set-password", "anna", "--current"); code != exitFail || !strings.Contains(errOut, "current_password is wrong") {
		t.Errorf("a wrong current password: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runInput(t, anna, first+"\n"+second+"\n", "user", "set-password", "ben", "--current"); code != exitFail || !strings.Contains(errOut, "403") {
		t.Errorf("anna setting ben's password: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := runInput(t, anna, first+"\n"+second+"\n", "user", "set-password", "--current", "anna"); code != exitOK || out == "" {
		t.Fatalf("anna with --current: exit %d, stderr %q", code, errOut)
	}
	if login(t, server, "anna", first) != "" || login(t, server, "anna", second) == "" {
		t.Error("after the change the old password still works or the new one does not")
	}
}
