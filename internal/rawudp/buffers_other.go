//go:build !linux

package rawudp

import "net"

// growBuffers: elsewhere the plain request is all there is.
func growBuffers(*net.UDPConn, int) int { return 0 }
