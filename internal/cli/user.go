package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/vigil-oncall/vigil/internal/auth"
)

const userUsage = `Usage: vigil user set-password USER [--current] [--server URL]   (vigil user <verb> --help)
  set-password  set a user's password for the web UI, read from the terminal or standard input
`

func userVerbs() verbs { return verbs{"set-password": runUserSetPassword} }

func runUserSetPassword(ctx context.Context, args []string, env Env) int {
	fs := newFlags("user set-password", "USER [--current] [--server URL]", env)
	current := fs.Bool("current", false, "ask for the current password first, as a user changing their own password with their own token must (admins need not)")
	server := serverFlag(fs)
	users, code, done := parseArgs(fs, args, env)
	if done {
		return code
	}
	if len(users) != 1 || users[0] == "" {
		fmt.Fprintln(env.Stderr, "vigil user set-password: give one user id")
		return exitError
	}
	user := users[0]
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user set-password: %v\n", err)
		return exitError
	}
	in := newSecretReader(env)
	body := map[string]string{}
	if *current {
		if body["current_password"], err = in.read("Current password of " + user + ": "); err != nil {
			fmt.Fprintf(env.Stderr, "vigil user set-password: current password: %v\n", err)
			return exitError
		}
	}
	password, err := in.readTwice("New password of " + user + ": ")
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user set-password: %v\n", err)
		return exitError
	}
	if err := auth.CheckPassword(password); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user set-password: %v\n", err)
		return exitFail
	}
	body["password"] = password
	if err := c.do(ctx, "PUT", "/api/v1/users/"+url.PathEscape(user)+"/password", body, nil); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user set-password: %v\n", err)
		var apiErr *apiError
		if errors.As(err, &apiErr) && apiErr.Status < 500 {
			return exitFail
		}
		return exitError
	}
	fmt.Fprintf(env.Stdout, "password of %s set; their other web UI sessions have ended\n", user)
	return exitOK
}

// secretReader reads passwords: from the terminal without echo, asking for
// a new one twice, or else one a line from standard input.
type secretReader struct {
	env      Env
	terminal int // the terminal's file descriptor, or -1
	lines    *bufio.Reader
}

func newSecretReader(env Env) *secretReader {
	r := &secretReader{env: env, terminal: -1}
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.terminal = int(f.Fd())
		return r
	}
	in := env.Stdin
	if in == nil {
		in = strings.NewReader("")
	}
	// One byte more than a line may hold, so that an overlong one is
	// refused instead of cut.
	r.lines = bufio.NewReaderSize(io.LimitReader(in, 2*(auth.MaxPasswordLength+2)), auth.MaxPasswordLength+2)
	return r
}

func (r *secretReader) read(prompt string) (string, error) {
	if r.terminal >= 0 {
		fmt.Fprint(r.env.Stderr, prompt)
		b, err := term.ReadPassword(r.terminal)
		fmt.Fprintln(r.env.Stderr)
		return string(b), err
	}
	line, err := r.lines.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("a line of standard input is longer than the %d bytes a password may have", auth.MaxPasswordLength)
	case errors.Is(err, io.EOF) && len(line) == 0:
		return "", errors.New("no password on standard input (one a line)")
	case err != nil && !errors.Is(err, io.EOF):
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), nil
}

// readTwice reads a new password; on a terminal it asks again and the two
// must match.
func (r *secretReader) readTwice(prompt string) (string, error) {
	first, err := r.read(prompt)
	if err != nil || r.terminal < 0 {
		return first, err
	}
	again, err := r.read("Again: ")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", errors.New("the two passwords differ")
	}
	return first, nil
}
