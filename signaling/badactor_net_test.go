package signaling_test

import (
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// Loss and jitter of the bad network in TestBadActor's lossy row.
const (
	lossyPercent = 20
	lossyJitter  = 100 * time.Millisecond
)

// lossyNet is a virtual network (pion/transport vnet) with the SFU and the
// control pair on an ideal link, and one more host behind a router that
// delays every packet by up to lossyJitter (reordering them) and whose
// host drops lossyPercent of what reaches it.
type lossyNet struct {
	server, pub, sub *vnet.Net
	bad              *vnet.Net
}

func newLossyNet(t *testing.T) *lossyNet {
	t.Helper()
	logs := logging.NewDefaultLoggerFactory()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: logs})
	if err != nil {
		t.Fatal(err)
	}
	n := &lossyNet{}
	for _, h := range []struct {
		ip  string
		net **vnet.Net
	}{{"1.0.0.1", &n.server}, {"1.0.0.2", &n.pub}, {"1.0.0.3", &n.sub}} {
		if *h.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{h.ip}}); err != nil {
			t.Fatal(err)
		}
		must(t, wan.AddNet(*h.net))
	}
	// The bad host's own router: a 1:1 NAT, so the SFU sees it at one
	// public address, with the jitter on everything it forwards.
	edge, err := vnet.NewRouter(&vnet.RouterConfig{
		CIDR: "10.9.0.0/24", StaticIPs: []string{"1.0.0.4/10.9.0.2"},
		NATType: &vnet.NATType{Mode: vnet.NATModeNAT1To1}, MaxJitter: lossyJitter, LoggerFactory: logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.bad, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.9.0.2"}}); err != nil {
		t.Fatal(err)
	}
	lossy, err := vnet.NewLossFilter(n.bad, lossyPercent)
	if err != nil {
		t.Fatal(err)
	}
	must(t, edge.AddNet(lossy))
	must(t, wan.AddRouter(edge))
	must(t, wan.Start())
	t.Cleanup(func() { _ = wan.Stop() })
	return n
}
