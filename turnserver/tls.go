package turnserver

import (
	"bufio"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// firstByteTimeout bounds how long a TCP client may stay silent before it
// says whether it speaks TLS.
const firstByteTimeout = 10 * time.Second

// tlsRecordHandshake is the first byte of a TLS ClientHello (RFC 8446
// §5.1). A STUN message starts with 0b00 (RFC 8489 §5) and TURN ChannelData
// with 0b01 (RFC 8656 §12.4), so the first byte tells the three apart.
const tlsRecordHandshake = 0x16

// sniffListener serves TURN over TCP and TURN over TLS (RFC 8656 §3.1) on
// one port, as coturn does: each connection is TLS if its first byte opens
// a TLS handshake. Accept never waits for that byte; the connection decides
// on its first read, on pion/turn's goroutine for that connection.
type sniffListener struct {
	net.Listener
	config *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, config: l.config}, nil
}

// sniffConn is a TCP connection that becomes a TLS server connection if the
// client starts a TLS handshake.
type sniffConn struct {
	net.Conn
	config *tls.Config
	once   sync.Once
	inner  net.Conn
	err    error
}

func (c *sniffConn) decide() {
	c.once.Do(func() {
		_ = c.Conn.SetReadDeadline(time.Now().Add(firstByteTimeout))
		br := bufio.NewReaderSize(c.Conn, 1)
		first, err := br.Peek(1)
		_ = c.Conn.SetReadDeadline(time.Time{})
		if err != nil {
			c.err = err
			return
		}
		buffered := &bufferedConn{Conn: c.Conn, r: br}
		if first[0] == tlsRecordHandshake {
			c.inner = tls.Server(buffered, c.config)
			return
		}
		c.inner = buffered
	})
}

func (c *sniffConn) Read(b []byte) (int, error) {
	if c.decide(); c.err != nil {
		return 0, c.err
	}
	return c.inner.Read(b)
}

func (c *sniffConn) Write(b []byte) (int, error) {
	if c.decide(); c.err != nil {
		return 0, c.err
	}
	return c.inner.Write(b)
}

// bufferedConn reads what was peeked before the rest of the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }
