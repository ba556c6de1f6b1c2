package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

const notifyUsage = `Usage: vigil notify test|verify|confirm --contact-method ID [--user ID]   (vigil notify <verb> --help)
  test     send a test notification through a contact method
  verify   send a verification code to an sms or voice number
  confirm  confirm the code (--code), so that the number can be paged
`

func notifyVerbs() verbs {
	return verbs{
		"test":    runNotifyTest,
		"verify":  runNotifyVerify,
		"confirm": runNotifyConfirm,
	}
}

// methodFlags are the flags every notify verb takes.
type methodFlags struct {
	server, user, method *string
}

func addMethodFlags(name, synopsis string, env Env) (*flag.FlagSet, methodFlags) {
	fs := newFlags("notify "+name, synopsis, env)
	return fs, methodFlags{
		server: serverFlag(fs),
		user:   fs.String("user", "", "the user the contact method belongs to (default: found by the contact method id)"),
		method: fs.String("contact-method", "", "contact method id (required)"),
	}
}

// methodPath resolves the user and returns the API path of the contact
// method.
func (f methodFlags) methodPath(ctx context.Context, c *client) (string, error) {
	if *f.method == "" {
		return "", errors.New("--contact-method is required")
	}
	user := *f.user
	if user == "" {
		var err error
		if user, err = ownerOf(ctx, c, *f.method); err != nil {
			return "", err
		}
	}
	return "/api/v1/users/" + url.PathEscape(user) + "/contact_methods/" + url.PathEscape(*f.method), nil
}

// ownerOf finds the one user with a contact method of this id.
func ownerOf(ctx context.Context, c *client, method string) (string, error) {
	users, err := getAll[struct {
		ID             string `json:"id"`
		ContactMethods []struct {
			ID string `json:"id"`
		} `json:"contact_methods"`
	}](ctx, c, "/api/v1/users", nil, "users")
	if err != nil {
		return "", fmt.Errorf("find the user of contact method %s: %w", method, err)
	}
	var owners []string
	for _, u := range users {
		for _, cm := range u.ContactMethods {
			if cm.ID == method {
				owners = append(owners, u.ID)
			}
		}
	}
	sort.Strings(owners)
	switch len(owners) {
	case 0:
		return "", fmt.Errorf("no user has a contact method %q", method)
	case 1:
		return owners[0], nil
	}
	return "", fmt.Errorf("users %s all have a contact method %q: pass --user", strings.Join(owners, ", "), method)
}

func runNotifyTest(ctx context.Context, args []string, env Env) int {
	fs, f := addMethodFlags("test", "--contact-method ID [--user ID]", env)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	var queued struct {
		NotificationID int64  `json:"notification_id"`
		User           string `json:"user"`
		ContactMethod  string `json:"contact_method"`
	}
	if code := f.post(ctx, "test", "/test", nil, &queued, env); code != exitOK {
		return code
	}
	fmt.Fprintf(env.Stdout, "test notification %d queued for %s via %s\n", queued.NotificationID, queued.User, queued.ContactMethod)
	return exitOK
}

func runNotifyVerify(ctx context.Context, args []string, env Env) int {
	fs, f := addMethodFlags("verify", "--contact-method ID [--user ID]", env)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	var sent struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if code := f.post(ctx, "verify", "/verification", nil, &sent, env); code != exitOK {
		return code
	}
	fmt.Fprintf(env.Stdout, "code sent to %s; it works until %s: vigil notify confirm --contact-method %s --code NNNNNN\n",
		*f.method, sent.ExpiresAt.Local().Format("15:04"), *f.method)
	return exitOK
}

func runNotifyConfirm(ctx context.Context, args []string, env Env) int {
	fs, f := addMethodFlags("confirm", "--contact-method ID --code NNNNNN [--user ID]", env)
	code := fs.String("code", "", "the six-digit code received (required)")
	if rc, done := parseFlags(fs, args, env); done {
		return rc
	}
	if *code == "" {
		fmt.Fprintln(env.Stderr, "vigil notify confirm: --code is required")
		return exitError
	}
	if rc := f.post(ctx, "confirm", "/verification/confirm", map[string]string{"code": *code}, nil, env); rc != exitOK {
		return rc
	}
	fmt.Fprintf(env.Stdout, "%s is verified and can be paged\n", *f.method)
	return exitOK
}

// post POSTs body to the contact method's path and then suffix, decoding
// the answer into out; a failure is reported and its exit code returned,
// else exitOK.
func (f methodFlags) post(ctx context.Context, verb, suffix string, body, out any, env Env) int {
	c, err := newClient(*f.server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil notify %s: %v\n", verb, err)
		return exitError
	}
	path, err := f.methodPath(ctx, c)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil notify %s: %v\n", verb, err)
		return exitError
	}
	if err := c.do(ctx, "POST", path+suffix, body, out); err != nil {
		fmt.Fprintf(env.Stderr, "vigil notify %s: %v\n", verb, err)
		return exitFail
	}
	return exitOK
}
