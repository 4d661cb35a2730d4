package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestConfigFile(t *testing.T) {
	const file = `
listen: ":443"
nat-ip: [203.0.113.10, 2001:db8::10]
udp-port: 50000
turn-listen: ":3478"
turn-secret: from-file
turn-ttl: 2h
allowed-origin:
  - https://a.example
  - https://b.example
log-level: debug
`
	tests := []struct {
		name    string
		file    string
		args    []string
		env     map[string]string
		check   func(config) bool
		wantErr bool
	}{
		{"settings from the file", file, nil, nil, func(c config) bool {
			return c.listen == ":443" && c.internet.natIPs.String() == "203.0.113.10,2001:db8::10" &&
				c.internet.udpPort == 50000 && c.internet.turnListen == ":3478" && c.internet.turnSecret == "from-file" &&
				c.internet.turnTTL.Hours() == 2 && len(c.internet.origins) == 2 && c.logLevel.String() == "DEBUG"
		}, false},
		{"flags and the environment win", file, []string{"--listen", ":8443"}, map[string]string{"SWITCHBOARD_TURN_SECRET": "from-env"}, func(c config) bool {
			return c.listen == ":8443" && c.internet.turnSecret == "from-env" && c.internet.udpPort == 50000
		}, false},
		{"the file named by the environment", file, nil, map[string]string{"SWITCHBOARD_CONFIG": "FILE"}, func(c config) bool {
			return c.listen == ":443"
		}, false},
		{"unknown setting", "listen: :443\nlisten-port: 80\n", nil, nil, nil, true},
		{"bad value", "udp-port: many\n", nil, nil, nil, true},
		{"checked like flags", "api-key: k\n", nil, nil, nil, true},
		{"not YAML", "listen: [\n", nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "switchboard.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			args := tt.args
			if tt.env["SWITCHBOARD_CONFIG"] == "" {
				args = append([]string{"--config", path}, args...)
			}
			getenv := func(k string) string {
				if k == "SWITCHBOARD_CONFIG" && tt.env[k] != "" {
					return path
				}
				return tt.env[k]
			}
			c, err := parseConfig(args, io.Discard, getenv)
			if tt.wantErr {
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
	if _, err := parseConfig([]string{"--config", "/nonexistent.yaml"}, io.Discard, func(string) string { return "" }); !errors.Is(err, errConfigFile) {
		t.Fatalf("a missing file: %v", err)
	}
}
