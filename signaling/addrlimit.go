package signaling

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// Per-address limits: one address (one host, or everyone behind one NAT or
// proxy) may hold only so many WebSockets at once and join only so often,
// so that it cannot take the server from the others.

// Defaults of the per-address limits.
const (
	DefaultMaxConnectionsPerAddr = 50
	DefaultJoinsPerAddr          = 5.0 // a second
	DefaultJoinBurstPerAddr      = 50
)

// joinBuckets bounds the join buckets kept at once; past it the least
// recently used address loses its bucket (and gets a full one back).
const joinBuckets = 1 << 16

// ErrAddrRateLimited refuses a connection or a join of an address past its
// limits; reported with the rate-limited code, and fatal.
var ErrAddrRateLimited = errors.New("over the limit of your address")

// addrLimits enforces the per-address limits. The concurrent connections
// are counted exactly, an entry per address with open connections (so its
// size is bounded by the open connections, and nothing open is ever
// forgotten); the join buckets are kept in an LRU of bounded size whose
// entries expire once idle long enough to have refilled, when dropping
// them changes nothing.
type addrLimits struct {
	maxConns int // 0: no limit
	trusted  []netip.Prefix

	mu    sync.Mutex
	conns map[netip.Addr]int

	joinRate  rate.Limit
	joinBurst int
	joinMu    sync.Mutex                                // makes a bucket's get-or-create atomic
	joins     *expirable.LRU[netip.Addr, *rate.Limiter] // nil: no join limit
	clock     clock.Clock                               // the buckets refill on its time (the LRU's expiry on the system's)
}

func newAddrLimits(cfg *config) *addrLimits {
	a := &addrLimits{
		maxConns: cfg.maxConnsPerAddr,
		trusted:  cfg.trustedProxies,
		conns:    make(map[netip.Addr]int),
		clock:    cfg.clock,
	}
	if cfg.joinsPerAddr > 0 {
		a.joinRate, a.joinBurst = rate.Limit(cfg.joinsPerAddr), max(cfg.joinBurstPerAddr, 1)
		// An idle bucket is full again after burst/rate; the LRU's
		// expiry frees it no sooner than that. The LRU runs a goroutine
		// of its own that golang-lru v2 never stops: one per Handler.
		ttl := max(time.Duration(float64(a.joinBurst)/cfg.joinsPerAddr*float64(time.Second)), time.Minute)
		a.joins = expirable.NewLRU[netip.Addr, *rate.Limiter](joinBuckets, nil, ttl)
	}
	return a
}

// addrKey is the unit the limits count: an IPv4 address, or an IPv6
// address's /64, which one host or one home usually holds whole.
func addrKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// clientAddr is the address the limits count for r: the TCP peer's, or,
// when the peer is a trusted proxy, the nearest address in X-Forwarded-For
// that is not one. ok is false when there is no IP address to count (a
// peer on a Unix socket), and then no per-address limit applies.
func (a *addrLimits) clientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap()
	if !a.isTrusted(ip) {
		return addrKey(ip), true
	}
	// X-Forwarded-For: client, proxy1, proxy2; each proxy appends the
	// peer it heard from, so read from the right and stop at the first
	// address no trusted proxy could have written.
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled entry: trust nothing left of it
		}
		ip = hop.Unmap()
		if !a.isTrusted(ip) {
			break
		}
	}
	return addrKey(ip), true
}

func (a *addrLimits) isTrusted(ip netip.Addr) bool {
	for _, p := range a.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// connect counts a new connection of addr; it fails past the limit. A
// successful connect must be followed by one disconnect.
func (a *addrLimits) connect(addr netip.Addr) error {
	if a.maxConns <= 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conns[addr] >= a.maxConns {
		return fmt.Errorf("%w: at most %d connections at once", ErrAddrRateLimited, a.maxConns)
	}
	a.conns[addr]++
	return nil
}

func (a *addrLimits) disconnect(addr netip.Addr) {
	if a.maxConns <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := a.conns[addr] - 1; n > 0 {
		a.conns[addr] = n
	} else {
		delete(a.conns, addr)
	}
}

// join takes a token from addr's join bucket; it fails when there is none.
func (a *addrLimits) join(addr netip.Addr) error {
	if a.joins == nil {
		return nil
	}
	a.joinMu.Lock()
	l, ok := a.joins.Get(addr)
	if !ok {
		l = rate.NewLimiter(a.joinRate, a.joinBurst)
	}
	a.joins.Add(addr, l) // renews its expiry: expiry counts from the last join
	a.joinMu.Unlock()
	if !l.AllowN(a.clock.Now(), 1) {
		return fmt.Errorf("%w: at most %d joins at once and %g a second after that; try again shortly",
			ErrAddrRateLimited, a.joinBurst, float64(a.joinRate))
	}
	return nil
}

// ParseTrustedProxy reads a proxy's address or network (CIDR) for
// WithTrustedProxies.
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errors.New("want an IP address or a CIDR network: " + s)
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}
