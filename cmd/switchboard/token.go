package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
)

// tokenCommand is `switchboard token`: it prints an access token for one
// participant of one room, signed with the server's API key and secret
// (read from the same flags or environment variables as the server's).
func tokenCommand(args []string, out, errOut io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("switchboard token", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: switchboard token --api-key KEY --api-secret SECRET --room ROOM --identity ID [--name NAME] [--ttl DURATION] [--url BASE]")
		fs.PrintDefaults()
	}
	var (
		key, secret, room, identity, name, base string
		ttl                                     time.Duration
		perms                                   = sfu.AllPermissions()
	)
	fs.StringVar(&key, "api-key", "", "API `key` the server was started with")
	fs.StringVar(&secret, "api-secret", "", "`secret` of the API key")
	fs.StringVar(&room, "room", "", "the `room` the token admits to")
	fs.StringVar(&identity, "identity", "", "the participant's `identity`, unique in your application")
	fs.StringVar(&name, "name", "", "display `name` (default: the one typed on the page)")
	fs.DurationVar(&ttl, "ttl", 6*time.Hour, "how long the token admits")
	fs.BoolVar(&perms.Publish, "publish", true, "may publish camera and microphone")
	fs.BoolVar(&perms.PublishScreen, "publish-screen", true, "may share a screen")
	fs.BoolVar(&perms.Subscribe, "subscribe", true, "may receive the others' media")
	fs.StringVar(&base, "url", "", "print a link to the room on the server at this `URL` (https://meet.example.com) instead of the bare token")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, f := range []struct {
		name string
		v    *string
	}{{"api-key", &key}, {"api-secret", &secret}} {
		if !set[f.name] {
			*f.v = getenv("SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(f.name, "-", "_")))
		}
	}
	tok, err := signaling.NewToken(key, secret, signaling.Grant{Room: room, Identity: identity, Name: name, Permissions: perms}, ttl, time.Now())
	if errors.Is(err, signaling.ErrBadGrant) {
		fs.Usage()
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	if base != "" {
		tok = strings.TrimSuffix(base, "/") + "/room/" + url.PathEscape(room) + "?token=" + url.QueryEscape(tok)
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

// runToken runs the token command for main and returns the exit status.
func runToken(args []string) int {
	err := tokenCommand(args, os.Stdout, os.Stderr, environ)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "switchboard token:", err)
	return 2
}
