package floor

import (
	"fmt"

	"golang.org/x/net/ipv4"
)

// batchSender protects packets like Sender but writes them n at a time with
// one sendmmsg(2) (ipv4.PacketConn.WriteBatch): what an SFU could do when
// one incoming packet fans out to n subscribers on a shared UDP socket.
type batchSender struct {
	*Sender
	pc   *ipv4.PacketConn
	msgs []ipv4.Message
	bufs [][]byte
}

func newBatchSender(s *Sender, n int) *batchSender {
	b := &batchSender{Sender: s, pc: ipv4.NewPacketConn(s.conn), msgs: make([]ipv4.Message, n), bufs: make([][]byte, n)}
	for i := range b.msgs {
		b.bufs[i] = make([]byte, 0, 1500)
		b.msgs[i].Buffers = [][]byte{nil}
		b.msgs[i].Addr = s.to
	}
	return b
}

// sendBatch protects len(msgs) packets and writes them with as few
// sendmmsg calls as the kernel allows (one, unless it stops early).
func (b *batchSender) sendBatch() error {
	for i := range b.msgs {
		b.header.SequenceNumber++
		b.plain[2], b.plain[3] = byte(b.header.SequenceNumber>>8), byte(b.header.SequenceNumber)
		out, err := b.srtp.EncryptRTP(b.bufs[i][:0], b.plain, &b.header)
		if err != nil {
			return err
		}
		b.msgs[i].Buffers[0] = out
		b.msgs[i].Addr = b.destination()
	}
	for sent := 0; sent < len(b.msgs); {
		n, err := b.pc.WriteBatch(b.msgs[sent:], 0)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: sendmmsg sent nothing", ErrMeasure)
		}
		sent += n
	}
	return nil
}
