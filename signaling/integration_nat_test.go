package signaling_test

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
	"github.com/switchboard-rtc/switchboard/turnserver"
)

// The virtual internet of these tests (pion/transport vnet): the SFU on a
// cloud host whose private address sits behind a 1:1 NAT, as on a cloud
// provider, with its media on one UDP port and the embedded TURN server
// beside it; clients on the open internet or behind home and corporate
// NATs. Signaling runs over real loopback; media only in the vnet.
const (
	cloudPublic  = "203.0.113.10"
	cloudPrivate = "10.0.0.2"
	mediaPort    = 50000
	turnPort     = 3478
	turnSecret   = "turn secret"
)

type internet struct {
	wan     *vnet.Router
	sfu     *sfu.SFU
	url     string
	blocked atomic.Int64 // chunks the corporate firewall dropped
}

// newInternet builds the WAN and the cloud host and starts the SFU, the
// embedded TURN server and the signaling.
func newInternet(t *testing.T) *internet {
	t.Helper()
	in := &internet{}
	var err error
	in.wan, err = vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := vnet.NewRouter(&vnet.RouterConfig{
		CIDR: "10.0.0.0/24", StaticIPs: []string{cloudPublic + "/" + cloudPrivate},
		NATType: &vnet.NATType{Mode: vnet.NATModeNAT1To1}, LoggerFactory: logging.NewDefaultLoggerFactory(),
	})
	if err != nil {
		t.Fatal(err)
	}
	host, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{cloudPrivate}})
	if err != nil {
		t.Fatal(err)
	}
	must(t, cloud.AddNet(host))
	must(t, in.wan.AddRouter(cloud))
	must(t, in.wan.Start())
	t.Cleanup(func() { _ = in.wan.Stop() })

	log := testLogger(t).With("side", "server")
	in.sfu, err = sfu.New(sfu.WithLogger(log), sfu.WithNet(host),
		sfu.WithNATMappings(network.NATMapping{Public: netip.MustParseAddr(cloudPublic)}), sfu.WithUDPMux(mediaPort))
	if err != nil {
		t.Fatal(err)
	}
	turnConn, err := host.ListenPacket("udp4", net.JoinHostPort(cloudPrivate, "3478"))
	if err != nil {
		t.Fatal(err)
	}
	turn, err := turnserver.New(
		turnserver.WithPacketConn(turnConn), turnserver.WithNet(host), turnserver.WithSecret(turnSecret),
		turnserver.WithRelayIP(netip.MustParseAddr(cloudPublic)), turnserver.WithRelayBind(cloudPrivate),
		turnserver.WithPeers([]turnserver.Peer{{
			IP: netip.MustParseAddr(cloudPublic), Local: netip.MustParseAddr(cloudPrivate), MinPort: mediaPort, MaxPort: mediaPort,
		}}),
		turnserver.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	ice := func(_, identity string) []protocol.ICEServer {
		user, pass := turnserver.Credentials(turnSecret, identity, time.Hour, time.Now())
		return []protocol.ICEServer{{URLs: []string{"turn:" + cloudPublic + ":3478?transport=udp"}, Username: user, Credential: pass}}
	}
	h := signaling.NewHandler(in.sfu, signaling.WithLogger(log), signaling.WithICEServersFunc(ice))
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		srv.Close()
		_ = in.sfu.Close()
		_ = turn.Close()
	})
	in.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return in
}

// openClient is a host on the open internet at ip.
func (in *internet) openClient(t *testing.T, ip string) *vnet.Net {
	t.Helper()
	n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	must(t, in.wan.AddNet(n))
	return n
}

// corporateClient is a host behind a symmetric NAT (mapping and filtering
// depend on the remote address and port, RFC 4787 §4.1, §5) whose firewall
// lets out only UDP to the TURN port: it can reach no media port directly.
func (in *internet) corporateClient(t *testing.T) *vnet.Net {
	t.Helper()
	corp, err := vnet.NewRouter(&vnet.RouterConfig{
		CIDR: "192.168.1.0/24", StaticIPs: []string{"198.51.100.20"},
		NATType: &vnet.NATType{
			MappingBehavior: vnet.EndpointAddrPortDependent, FilteringBehavior: vnet.EndpointAddrPortDependent,
			MappingLifeTime: 30 * time.Second,
		},
		LoggerFactory: logging.NewDefaultLoggerFactory(),
	})
	if err != nil {
		t.Fatal(err)
	}
	private := netip.MustParsePrefix("192.168.1.0/24")
	corp.AddChunkFilter(func(c vnet.Chunk) bool {
		src, _ := netip.ParseAddrPort(c.SourceAddr().String())
		dst, _ := netip.ParseAddrPort(c.DestinationAddr().String())
		if private.Contains(src.Addr()) && dst.Port() != turnPort {
			in.blocked.Add(1)
			return false
		}
		return true
	})
	n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"192.168.1.2"}})
	if err != nil {
		t.Fatal(err)
	}
	must(t, corp.AddNet(n))
	must(t, in.wan.AddRouter(corp))
	must(t, corp.Start()) // the WAN stops it
	return n
}

// dial joins room as name from n; opts come after, and may set another net.
func (in *internet) dial(ctx context.Context, t *testing.T, room, name string, n *vnet.Net, opts ...bench.Option) *bench.Client {
	t.Helper()
	base := []bench.Option{bench.WithName(name), bench.WithLogger(testLogger(t).With("side", "client", "name", name))}
	if n != nil {
		base = append(base, bench.WithNet(n))
	}
	c, err := bench.Dial(ctx, in.url, room, append(base, opts...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// publishAll has every client publish and waits until each got 50 packets
// of each track of every other.
func publishAll(ctx context.Context, t *testing.T, all []*bench.Client) {
	t.Helper()
	for _, c := range all {
		if _, err := publish(ctx, c); err != nil {
			t.Fatalf("%s publishing: %v", c.ID(), err)
		}
	}
	for _, c := range all {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, all, 50) }); err != nil {
			t.Fatalf("%v: %s", err, describe(c, all))
		}
	}
}

// selectedPair returns the client's nominated candidate pair, or nil
// while none is.
func selectedPair(c *bench.Client) (*webrtc.ICECandidatePair, error) {
	return c.PeerConnection().SCTP().Transport().ICETransport().GetSelectedCandidatePair()
}

// nominatedPair waits for the client's nominated candidate pair. Media
// flowing does not mean one is: Pion's ICE agent writes on the best valid
// pair until a pair is nominated (ice's Conn.Write falls back to it), as
// after an ICE restart.
func nominatedPair(ctx context.Context, t *testing.T, c *bench.Client) *webrtc.ICECandidatePair {
	t.Helper()
	var pair *webrtc.ICECandidatePair
	var failed error
	err := c.WaitUntil(ctx, func() bool {
		pair, failed = selectedPair(c)
		return pair != nil || failed != nil
	})
	if err == nil {
		err = failed
	}
	if err != nil || pair == nil {
		t.Fatalf("%s: no nominated pair: %v", c.ID(), err)
	}
	return pair
}

// TestSymmetricNATThroughTURN: a client behind a symmetric NAT whose
// firewall lets only the TURN port out exchanges media with a client on the
// open internet through the embedded TURN server, which relays to the SFU's
// one media port across the cloud's 1:1 NAT.
func TestSymmetricNATThroughTURN(t *testing.T) {
	checkLeaks(t)
	in := newInternet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	corp := in.dial(ctx, t, "nat", "corporate", in.corporateClient(t))
	open := in.dial(ctx, t, "nat", "open", in.openClient(t, "198.51.100.50"))
	all := []*bench.Client{corp, open}
	publishAll(ctx, t, all)
	t.Logf("both sides received 50 packets of each track after %v", time.Since(start).Round(time.Millisecond))
	pair := nominatedPair(ctx, t, corp)
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Local.Address != cloudPublic ||
		pair.Remote.Address != cloudPublic || pair.Remote.Port != mediaPort {
		t.Fatalf("corporate client's path %s, want its relay on %s to the SFU at %s:%d", pair, cloudPublic, cloudPublic, mediaPort)
	}
	if in.blocked.Load() == 0 {
		t.Fatal("the firewall dropped nothing: the test does not test what it says")
	}
	t.Logf("corporate path: %s (the firewall dropped %d direct packets)", pair, in.blocked.Load())
	for _, c := range all {
		checkIntact(t, c)
	}
}

// TestClientsShareOneUDPPort: many clients on the open internet, every one
// connected to the same public address and UDP port of the SFU, which
// announces its 1:1 NAT's public address, not its private one.
func TestClientsShareOneUDPPort(t *testing.T) {
	checkLeaks(t)
	in := newInternet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	const n = 6
	clients := make([]*bench.Client, n)
	for i := range clients {
		clients[i] = in.dial(ctx, t, "one-port", "c"+string(rune('0'+i)), in.openClient(t, "198.51.100."+string(rune('1'+i))+"0"))
	}
	publishers := clients[:2]
	for _, c := range publishers {
		if _, err := publish(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, publishers, 30) }); err != nil {
			t.Fatalf("%v: %s", err, describe(c, publishers))
		}
		pair := nominatedPair(ctx, t, c)
		if pair.Remote.Address != cloudPublic || pair.Remote.Port != mediaPort || pair.Remote.Protocol != webrtc.ICEProtocolUDP {
			t.Fatalf("%s talks to %s, want %s:%d over UDP", c.ID(), pair.Remote, cloudPublic, mediaPort)
		}
	}
	media := in.sfu.MediaAddrs()
	if len(media) != 1 || media[0].Local != netip.MustParseAddrPort(cloudPrivate+":50000") || media[0].Announced[0] != netip.MustParseAddr(cloudPublic) {
		t.Fatalf("SFU media sockets %+v, want one on %s:%d announced as %s", media, cloudPrivate, mediaPort, cloudPublic)
	}
	t.Logf("%d clients, all on %s:%d", n, cloudPublic, mediaPort)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
