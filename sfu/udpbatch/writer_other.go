//go:build !linux

package udpbatch

import "net"

// loopWriter sends one datagram per system call where there is no
// sendmmsg: the batching still keeps the fan-out's writers off the socket.
type loopWriter struct{ conn *net.UDPConn }

func newSocketWriter(conn *net.UDPConn, _ int) (batchWriter, error) {
	return loopWriter{conn}, nil
}

func (w loopWriter) writeBatch(b *batch, from int) (int, error) {
	for i := from; i < b.n; i++ {
		if _, err := w.conn.WriteToUDPAddrPort(b.datagram(i), b.to[i]); err != nil {
			return i - from, err
		}
	}
	return b.n - from, nil
}
