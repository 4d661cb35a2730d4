package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pion/turn/v5"

	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/turnserver"
)

// TestInternetFlags: every flag of the internet set-up, and its environment
// twin (SWITCHBOARD_ + NAME).
func TestInternetFlags(t *testing.T) {
	tests := []flagCase[internetConfig]{
		{"defaults", nil, nil, func(c internetConfig) bool {
			return c.udpPort == defaultUDPPort && c.tcpPort == 0 && c.turnListen == "" && c.apiKey == "" && c.turnTTL == 24*time.Hour && c.turnQuota == 10 &&
				c.udpBatch && c.directSRTP
		}, false},
		{"Pion's path", []string{"--direct-srtp=false"}, nil, func(c internetConfig) bool { return !c.directSRTP && c.udpBatch }, false},
		{"Pion's path from the environment", nil, map[string]string{"SWITCHBOARD_DIRECT_SRTP": "false"}, func(c internetConfig) bool { return !c.directSRTP }, false},
		{"flags", []string{
			"--nat-ip", "203.0.113.7", "--udp-port", "50000", "--tcp-port", "50001", "--turn-listen", ":3478",
			"--turn-relay-ip", "203.0.113.7", "--turn-secret", "ts", "--ice-server", "stun:stun.example.com:3478",
			"--ice-server", "turn:turn.example.com:3478?transport=udp", "--api-key", "k", "--api-secret", "s",
			"--tls-cert", "c.pem", "--tls-key", "k.pem", "--allowed-origin", "https://a.example", "--allowed-origin", "https://b.example",
			"--udp-port-range", "40000-40100", "--ice-interfaces", "eth0,eth1", "--turn-ttl", "2h", "--turn-quota", "3",
		}, nil, func(c internetConfig) bool {
			return c.natIPs.String() == "203.0.113.7" && c.udpPort == 50000 && c.tcpPort == 50001 &&
				c.turnListen == ":3478" && c.turnRelayIP == "203.0.113.7" && c.turnSecret == "ts" &&
				len(c.iceServers) == 2 && c.apiKey == "k" && c.apiSecret == "s" && c.tlsCert == "c.pem" && c.tlsKey == "k.pem" &&
				len(c.origins) == 2 && c.udpPortRange == portRange{40000, 40100} && slices.Equal(c.iceInterfaces, []string{"eth0", "eth1"}) &&
				c.turnTTL == 2*time.Hour && c.turnQuota == 3
		}, false},
		{"environment twins", nil, map[string]string{
			"SWITCHBOARD_NAT_IP": "203.0.113.7,2001:db8::7", "SWITCHBOARD_UDP_PORT": "50000", "SWITCHBOARD_TCP_PORT": "50001",
			"SWITCHBOARD_TURN_LISTEN": ":3478", "SWITCHBOARD_TURN_RELAY_IP": "203.0.113.7", "SWITCHBOARD_TURN_SECRET": "ts",
			"SWITCHBOARD_ICE_SERVER": "turn:t.example.com:3478,stun:s.example.com", "SWITCHBOARD_API_KEY": "k", "SWITCHBOARD_API_SECRET": "s",
			"SWITCHBOARD_TLS_CERT": "c.pem", "SWITCHBOARD_TLS_KEY": "k.pem", "SWITCHBOARD_ALLOWED_ORIGIN": "https://a.example",
		}, func(c internetConfig) bool {
			return len(c.natIPs) == 2 && c.udpPort == 50000 && c.tcpPort == 50001 && c.turnListen == ":3478" &&
				c.turnRelayIP == "203.0.113.7" && c.turnSecret == "ts" && len(c.iceServers) == 2 && c.apiKey == "k" &&
				c.apiSecret == "s" && c.tlsCert == "c.pem" && c.tlsKey == "k.pem" && slices.Equal(c.origins, []string{"https://a.example"})
		}, false},
		{"a flag wins over its twin", []string{"--turn-secret", "flag"}, map[string]string{"SWITCHBOARD_TURN_SECRET": "env"}, func(c internetConfig) bool {
			return c.turnSecret == "flag"
		}, false},
		{"api key without secret", []string{"--api-key", "k"}, nil, nil, true},
		{"certificate without key", []string{"--tls-cert", "c.pem"}, nil, nil, true},
		{"bad NAT IP", []string{"--nat-ip", "example.com"}, nil, nil, true},
		{"bad pinned NAT IP", []string{"--nat-ip", "203.0.113.7/eth0"}, nil, nil, true},
		{"port too large", []string{"--udp-port", "70000"}, nil, nil, true},
		{"bad port range", []string{"--udp-port-range", "500-400"}, nil, nil, true},
		{"TURN without a secret", []string{"--turn-listen", ":3478"}, nil, nil, true},
		{"TURN URL without a secret", []string{"--ice-server", "turn:t.example.com"}, nil, nil, true},
		{"not an ICE URL", []string{"--ice-server", "https://t.example.com"}, nil, nil, true},
		{"bad relay IP", []string{"--turn-relay-ip", "relay"}, nil, nil, true},
	}
	runFlagCases(t, func(c config) internetConfig { return c.internet }, tests)
}

func TestTokenCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    jwt.MapClaims
		prefix  string
		wantErr bool
	}{
		{"flags", []string{"--api-key", "k", "--api-secret", "s", "--room", "r", "--identity", "alice", "--name", "Alice", "--ttl", "1h"}, nil,
			jwt.MapClaims{"iss": "k", "sub": "alice", "name": "Alice", "room": "r", "publish": true, "subscribe": true, "publishScreen": true}, "", false},
		{"key from the environment, viewer only", []string{"--room", "r", "--identity", "v", "--publish=false", "--publish-screen=false"},
			map[string]string{"SWITCHBOARD_API_KEY": "k", "SWITCHBOARD_API_SECRET": "s"},
			jwt.MapClaims{"iss": "k", "sub": "v", "publish": false, "subscribe": true, "publishScreen": false}, "", false},
		{"link", []string{"--api-key", "k", "--api-secret", "s", "--room", "team sync", "--identity", "a", "--url", "https://meet.example.com/"}, nil,
			jwt.MapClaims{"room": "team sync"}, "https://meet.example.com/room/team%20sync?token=", false},
		{"no room", []string{"--api-key", "k", "--api-secret", "s", "--identity", "a"}, nil, nil, "", true},
		{"no secret", []string{"--api-key", "k", "--room", "r", "--identity", "a"}, nil, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := tokenCommand(tt.args, &out, io.Discard, func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tok := strings.TrimSpace(out.String())
			if !strings.HasPrefix(tok, tt.prefix) {
				t.Fatalf("printed %q, want a prefix %q", tok, tt.prefix)
			}
			tok = strings.TrimPrefix(tok, tt.prefix)
			claims := jwt.MapClaims{}
			if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte("s"), nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired()); err != nil && tt.prefix == "" {
				t.Fatalf("token %q: %v", tok, err)
			}
			for k, v := range tt.want {
				if claims[k] != v {
					t.Errorf("claim %s = %v, want %v", k, claims[k], v)
				}
			}
		})
	}
}

// TestICEServersHandedOut: the embedded TURN server's URLs name the host the
// client used, every TURN URL gets credentials of its own that the TURN
// server accepts, and STUN URLs get none.
func TestICEServersHandedOut(t *testing.T) {
	sfuPort := uint16(40000)
	srv, err := turnserver.New(turnserver.WithListen("127.0.0.1:0"), turnserver.WithSecret("ts"),
		turnserver.WithRelayIP(netip.MustParseAddr("127.0.0.1")),
		turnserver.WithPeers([]turnserver.Peer{{IP: netip.MustParseAddr("127.0.0.1"), MinPort: sfuPort, MaxPort: sfuPort}}),
		turnserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	port := strconv.Itoa(srv.UDPAddr().(*net.UDPAddr).Port)
	tests := []struct {
		name     string
		cfg      internetConfig
		stun     []string
		host     string
		wantTURN []string
		wantSTUN []string
	}{
		{"embedded, by host name", internetConfig{turnSecret: "ts", turnTTL: time.Hour}, []string{"stun:s.example.com"}, "meet.example.com:8443",
			[]string{"turn:meet.example.com:" + port + "?transport=udp", "turn:meet.example.com:" + port + "?transport=tcp"}, []string{"stun:s.example.com"}},
		{"embedded, IPv6 literal", internetConfig{turnSecret: "ts", turnTTL: time.Hour}, nil, "[2001:db8::1]:443",
			[]string{"turn:[2001:db8::1]:" + port + "?transport=udp", "turn:[2001:db8::1]:" + port + "?transport=tcp"}, nil},
		{"coturn named by --ice-server", internetConfig{turnSecret: "ts", turnTTL: time.Hour, iceServers: []string{"turns:turn.example.com:443?transport=tcp", "stun:turn.example.com"}}, nil, "meet.example.com",
			[]string{"turns:turn.example.com:443?transport=tcp"}, []string{"stun:turn.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &internet{cfg: &tt.cfg, stun: tt.stun, turn: srv}
			var turnURLs, stunURLs []string
			for _, s := range in.iceServers(tt.host, "alice") {
				if !strings.HasPrefix(s.URLs[0], "turn") {
					stunURLs = append(stunURLs, s.URLs...)
					if s.Username != "" || s.Credential != "" {
						t.Errorf("STUN server with credentials: %+v", s)
					}
					continue
				}
				turnURLs = append(turnURLs, s.URLs...)
				expiry, identity, _ := strings.Cut(s.Username, ":")
				sec, err := strconv.ParseInt(expiry, 10, 64)
				if left := time.Until(time.Unix(sec, 0)); err != nil || identity != "alice" || left > time.Hour || left < 59*time.Minute {
					t.Errorf("TURN username %q: want an hour's expiry and alice", s.Username)
				}
				// The TURN server takes them.
				if err := allocate(srv.UDPAddr().String(), s.Username, s.Credential); err != nil {
					t.Errorf("the TURN server refuses the credentials handed out: %v", err)
				}
			}
			if !slices.Equal(turnURLs, tt.wantTURN) || !slices.Equal(stunURLs, tt.wantSTUN) {
				t.Fatalf("turn %v stun %v, want %v %v", turnURLs, stunURLs, tt.wantTURN, tt.wantSTUN)
			}
		})
	}
}

// allocate makes one TURN allocation over UDP.
func allocate(server, user, pass string) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: server, TURNServerAddr: server, Conn: conn, Username: user, Password: pass, RTO: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	relay, err := c.Allocate()
	if err != nil {
		return err
	}
	return relay.Close()
}

func TestTURNPeers(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name  string
		cfg   internetConfig
		ice   []string
		media []network.MediaAddr
		want  []string
	}{
		{"UDP mux behind a 1:1 NAT", internetConfig{natIPs: natFlag{{Public: netip.MustParseAddr("203.0.113.7")}}}, nil,
			[]network.MediaAddr{{Network: "udp", Local: ap("10.0.0.5:50000"), Announced: []netip.Addr{netip.MustParseAddr("203.0.113.7")}},
				{Network: "tcp", Local: ap("10.0.0.5:50001"), Announced: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}},
			[]string{"203.0.113.7:50000-50000 (local 10.0.0.5)"}},
		{"port range on the ICE addresses", internetConfig{udpPortRange: portRange{40000, 40100}, natIPs: natFlag{{Public: netip.MustParseAddr("203.0.113.7"), Local: netip.MustParseAddr("10.0.0.5")}}}, []string{"10.0.0.5"}, nil,
			[]string{"10.0.0.5:40000-40100", "203.0.113.7:40000-40100 (local 10.0.0.5)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peers, err := turnPeers(&tt.cfg, tt.ice, tt.media)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range peers {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("peers %v, want %v", got, tt.want)
			}
		})
	}
}
