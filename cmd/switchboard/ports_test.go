package main

import (
	"net"
	"strconv"
	"testing"
)

// freeUDPPort returns a loopback UDP port free a moment ago, for a server
// under test: the default --udp-port is fixed, and tests run several
// servers at once. Inside the tests' own network namespaces nothing else
// takes it in between.
func freeUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
}
