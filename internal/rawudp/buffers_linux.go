package rawudp

import (
	"net"
	"syscall"
)

// growBuffers forces c's buffers to size where the plain request was capped
// below it (SO_RCVBUFFORCE and SO_SNDBUFFORCE, socket(7): they need
// CAP_NET_ADMIN, and fail quietly without it), and returns the receive
// buffer granted.
func growBuffers(c *net.UDPConn, size int) int {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	granted := 0
	_ = raw.Control(func(fd uintptr) {
		for _, o := range [][2]int{{syscall.SO_RCVBUF, syscall.SO_RCVBUFFORCE}, {syscall.SO_SNDBUF, syscall.SO_SNDBUFFORCE}} {
			if got, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, o[0]); err == nil && got < 2*size {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o[1], size)
			}
		}
		granted, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return granted
}
