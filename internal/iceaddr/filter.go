// Package iceaddr turns a list of addresses to gather ICE candidates on
// into the filter Pion's SettingEngine takes. The server (sfu) and the
// load generator's clients (bench) both restrict gathering this way, so
// that a run on one machine stays on loopback.
package iceaddr

import (
	"errors"
	"fmt"
	"net"
	"slices"
)

// ErrBadIP is returned for an entry that is not an IP address.
var ErrBadIP = errors.New("iceaddr: not an IP address")

// Filter turns list into a filter that keeps only its addresses, and
// tells whether loopback candidates must be turned on for it. An empty
// list is no filter.
func Filter(list []string) (filter func(net.IP) bool, loopback bool, err error) {
	if len(list) == 0 {
		return nil, false, nil
	}
	keep := make([]net.IP, 0, len(list))
	for _, s := range list {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, false, fmt.Errorf("%w: %q", ErrBadIP, s)
		}
		keep = append(keep, ip)
		loopback = loopback || ip.IsLoopback()
	}
	return func(ip net.IP) bool { return slices.ContainsFunc(keep, ip.Equal) }, loopback, nil
}
