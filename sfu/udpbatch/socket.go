package udpbatch

// What the Conn needs of its socket to send, made by platform code:
// writer_linux.go, writer_other.go elsewhere.

// batchWriter sends a batch's datagrams from slot from on. It returns how
// many left; with an error, the datagram after those is the one refused.
// The socket's writer is platform code (sendmmsg on Linux); tests put in
// their own.
type batchWriter interface {
	writeBatch(b *batch, from int) (int, error)
}
