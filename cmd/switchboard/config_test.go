package main

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// flagCase is one command line and environment: check tells whether the
// part of the parsed configuration under test is right, or wantErr that
// parsing must fail with a usage error.
type flagCase[T any] struct {
	name    string
	args    []string
	env     map[string]string
	check   func(T) bool
	wantErr bool
}

// runFlagCases parses each case's flags and environment as the server does
// and checks the part of the configuration that part picks out.
func runFlagCases[T any](t *testing.T, part func(config) T, tests []flagCase[T]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, io.Discard, func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := part(c); !tt.check(got) {
				t.Fatalf("unexpected configuration %+v", got)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []flagCase[config]{
		{"defaults", nil, nil, func(c config) bool {
			return c.listen == ":8080" && c.logLevel == slog.LevelInfo && len(c.iceIPs) == 0 && c.maxParticipants == 50 && c.bwe && c.resumeWindow == 30*time.Second
		}, false},
		{"resume window", []string{"--resume-window", "5s"}, nil, func(c config) bool { return c.resumeWindow == 5*time.Second }, false},
		{"resume off from the environment", nil, map[string]string{"SWITCHBOARD_RESUME_WINDOW": "0"}, func(c config) bool { return c.resumeWindow == 0 }, false},
		{"negative resume window", []string{"--resume-window", "-1s"}, nil, nil, true},
		{"flags", []string{"--listen", "127.0.0.1:0", "--ice-ips", "127.0.0.1,10.0.0.1", "--log-level", "debug", "--stun", "stun:a:3478", "--stun", "stun:b:3478"}, nil, func(c config) bool {
			return c.listen == "127.0.0.1:0" && slices.Equal(c.iceIPs, []string{"127.0.0.1", "10.0.0.1"}) &&
				c.logLevel == slog.LevelDebug && slices.Equal(c.stun, []string{"stun:a:3478", "stun:b:3478"})
		}, false},
		{"environment twins", nil, map[string]string{"SWITCHBOARD_LISTEN": ":9000", "SWITCHBOARD_ICE_IPS": "127.0.0.1", "SWITCHBOARD_MAX_PARTICIPANTS": "4"}, func(c config) bool {
			return c.listen == ":9000" && slices.Equal(c.iceIPs, []string{"127.0.0.1"}) && c.maxParticipants == 4
		}, false},
		{"bandwidth estimation off", []string{"--bwe=false"}, nil, func(c config) bool { return !c.bwe }, false},
		{"bandwidth estimation off from the environment", nil, map[string]string{"SWITCHBOARD_BWE": "false"}, func(c config) bool { return !c.bwe }, false},
		{"flags win over the environment", []string{"--listen", ":7000"}, map[string]string{"SWITCHBOARD_LISTEN": ":9000"}, func(c config) bool {
			return c.listen == ":7000"
		}, false},
		{"bad log level", []string{"--log-level", "loud"}, nil, nil, true},
		{"bad environment value", nil, map[string]string{"SWITCHBOARD_MAX_PARTICIPANTS": "many"}, nil, true},
		{"zero participants", []string{"--max-participants", "0"}, nil, nil, true},
		{"stray argument", []string{"serve"}, nil, nil, true},
	}
	runFlagCases(t, func(c config) config { return c }, tests)
}
