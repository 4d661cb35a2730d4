package turnserver_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/switchboard-rtc/switchboard/turnserver"
)

const secret = "s3cret"

// fixture is a TURN server on loopback whose only peer is sfu, a UDP socket
// standing in for the SFU's media port.
type fixture struct {
	srv *turnserver.Server
	sfu *net.UDPConn
}

func newFixture(t *testing.T, opts ...turnserver.Option) *fixture {
	t.Helper()
	sfu, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfu.Close() })
	port := uint16(sfu.LocalAddr().(*net.UDPAddr).Port)
	base := []turnserver.Option{
		turnserver.WithListen("127.0.0.1:0"),
		turnserver.WithSecret(secret),
		turnserver.WithRelayIP(netip.MustParseAddr("127.0.0.1")),
		turnserver.WithPeers([]turnserver.Peer{{IP: netip.MustParseAddr("127.0.0.1"), MinPort: port, MaxPort: port}}),
		turnserver.WithLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}
	srv, err := turnserver.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &fixture{srv: srv, sfu: sfu}
}

// client is a TURN client on transport "udp", "tcp" or "tls".
func (f *fixture) client(t *testing.T, transport, user, pass string) *turn.Client {
	t.Helper()
	var conn net.PacketConn
	switch transport {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	case "tcp", "tls":
		c, err := net.DialTimeout("tcp", f.srv.TCPAddr().String(), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if transport == "tls" {
			c = tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a self-signed test certificate
		}
		conn = turn.NewSTUNConn(c)
	}
	addr := f.srv.UDPAddr().String()
	if transport != "udp" {
		addr = f.srv.TCPAddr().String()
	}
	cl, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn, Username: user, Password: pass,
		RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cl.Close()
		conn.Close()
	})
	return cl
}

// roundTrip sends through the relay to the SFU and back.
func (f *fixture) roundTrip(t *testing.T, relay net.PacketConn) {
	t.Helper()
	msg := []byte("rtp through the relay")
	if _, err := relay.WriteTo(msg, f.sfu.LocalAddr()); err != nil {
		t.Fatalf("relay write: %v", err)
	}
	buf := make([]byte, 1500)
	_ = f.sfu.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := f.sfu.ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("SFU read %q, %v", buf[:n], err)
	}
	if from.String() != relay.LocalAddr().String() {
		t.Errorf("SFU heard from %v, relay address is %v", from, relay.LocalAddr())
	}
	if _, err := f.sfu.WriteTo([]byte("and back"), from); err != nil {
		t.Fatal(err)
	}
	_ = relay.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err = relay.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "and back" || from.String() != f.sfu.LocalAddr().String() {
		t.Fatalf("client read %q from %v: %v", buf[:n], from, err)
	}
}

func TestRelaysToTheSFU(t *testing.T) {
	cert := selfSigned(t)
	f := newFixture(t, turnserver.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			user, pass := turnserver.Credentials(secret, "alice", time.Hour, time.Now())
			relay, err := f.client(t, transport, user, pass).Allocate()
			if err != nil {
				t.Fatalf("allocate: %v", err)
			}
			defer relay.Close()
			f.roundTrip(t, relay)
		})
	}
}

func TestRefusesBadCredentials(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	good, _ := turnserver.Credentials(secret, "alice", time.Hour, now)
	expired, expiredPass := turnserver.Credentials(secret, "alice", -time.Minute, now)
	_, otherSecretPass := turnserver.Credentials("not-the-secret", "alice", time.Hour, now)
	later, _ := turnserver.Credentials(secret, "alice", 30*24*time.Hour, now)
	_, goodPass := turnserver.Credentials(secret, "alice", time.Hour, now)
	tests := []struct{ name, user, pass string }{
		{"wrong password", good, "d3JvbmcgcGFzc3dvcmQ="},
		{"expired", expired, expiredPass},
		{"forged with another secret", good, otherSecretPass},
		{"expiry moved later, old password", later, goodPass},
		{"static username", "alice", "alice"},
		{"no credentials", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client(t, "udp", tt.user, tt.pass).Allocate()
			if err == nil {
				t.Fatal("allocation succeeded")
			}
			if f.srv.Allocations() != 0 {
				t.Fatalf("%d allocations", f.srv.Allocations())
			}
		})
	}
}

func TestRelaysOnlyToTheSFU(t *testing.T) {
	f := newFixture(t)
	user, pass := turnserver.Credentials(secret, "mallory", time.Hour, time.Now())
	cl := f.client(t, "udp", user, pass)
	relay, err := cl.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	// Another service on the SFU's own address, and one elsewhere.
	sameHost, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sameHost.Close()
	tests := []struct {
		name string
		to   net.Addr
	}{
		{"another port of the SFU's host", sameHost.LocalAddr()},
		{"another host", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}},
		{"the TURN server's own port", f.srv.UDPAddr()},
		{"a private network", &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 6379}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cl.CreatePermission(tt.to)
			if strings.HasPrefix(tt.to.String(), "127.0.0.1:") {
				// The SFU's IP: the permission (per IP, RFC 8656 §9) is granted,
				// but nothing is sent to a port that is not the SFU's.
				if err != nil {
					t.Fatalf("permission for the SFU's IP: %v", err)
				}
			} else if err == nil {
				t.Fatalf("permission for %v granted", tt.to)
			}
			_, _ = relay.WriteTo([]byte("probe"), tt.to)
		})
	}
	// Nothing reached the other socket on the SFU's host.
	_ = sameHost.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, from, err := sameHost.ReadFrom(make([]byte, 100)); err == nil {
		t.Fatalf("a service beside the SFU got %d bytes from %v", n, from)
	} else if !errors.Is(err, io.EOF) && !isTimeout(err) {
		t.Fatal(err)
	}
	// The SFU itself still works.
	f.roundTrip(t, relay)
}

func TestQuota(t *testing.T) {
	f := newFixture(t, turnserver.WithQuota(2))
	user, pass := turnserver.Credentials(secret, "bob", time.Hour, time.Now())
	for i := range 3 {
		relay, err := f.client(t, "udp", user, pass).Allocate()
		if i < 2 {
			if err != nil {
				t.Fatalf("allocation %d: %v", i+1, err)
			}
			defer relay.Close()
			continue
		}
		if err == nil {
			relay.Close()
			t.Fatal("a third allocation was granted past a quota of 2")
		}
	}
	// Another user is not affected.
	other, otherPass := turnserver.Credentials(secret, "carol", time.Hour, time.Now())
	relay, err := f.client(t, "udp", other, otherPass).Allocate()
	if err != nil {
		t.Fatalf("another user: %v", err)
	}
	relay.Close()
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	peer := []turnserver.Peer{{IP: netip.MustParseAddr("127.0.0.1"), MinPort: 5000, MaxPort: 5000}}
	ip := turnserver.WithRelayIP(netip.MustParseAddr("127.0.0.1"))
	tests := []struct {
		name string
		opts []turnserver.Option
		want error
	}{
		{"no secret", []turnserver.Option{turnserver.WithListen("127.0.0.1:0"), ip, turnserver.WithPeers(peer)}, turnserver.ErrNoSecret},
		{"no listener", []turnserver.Option{turnserver.WithSecret("x"), ip, turnserver.WithPeers(peer)}, turnserver.ErrNoListener},
		{"no relay IP", []turnserver.Option{turnserver.WithSecret("x"), turnserver.WithListen("127.0.0.1:0"), turnserver.WithPeers(peer)}, turnserver.ErrNoRelayIP},
		{"no peers", []turnserver.Option{turnserver.WithSecret("x"), turnserver.WithListen("127.0.0.1:0"), ip}, turnserver.ErrNoPeers},
		{"bad peer", []turnserver.Option{turnserver.WithSecret("x"), turnserver.WithListen("127.0.0.1:0"), ip,
			turnserver.WithPeers([]turnserver.Peer{{IP: netip.MustParseAddr("127.0.0.1")}})}, turnserver.ErrBadPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := turnserver.New(tt.opts...)
			if !errors.Is(err, tt.want) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	user, pass := turnserver.Credentials("secret", "ali:ce", time.Hour, now)
	if user != "1700003600:ali_ce" {
		t.Errorf("username %q", user)
	}
	// What coturn's documentation computes the password with:
	// echo -n 1700003600:ali_ce | openssl dgst -binary -sha1 -hmac secret | base64
	if pass != "sxmR8tDby6iJC43GHyZy0kG0KKQ=" {
		t.Errorf("password %q", pass)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
