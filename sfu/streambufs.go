package sfu

import (
	"io"

	"github.com/pion/transport/v5/packetio"
	"github.com/switchboard-rtc/switchboard/sfu/rtcpqueue"
)

// srtpBufferLimit is pion/srtp's own limit for an SRTP read stream's buffer.
const srtpBufferLimit = 1000 * 1000

// streamBuffer is the SettingEngine's BufferFactory: what each of Pion's
// SRTP and SRTCP read streams queues its packets in. SRTCP streams get a
// Queue (sfu/rtcpqueue): a subscriber's connection has one per SSRC sent
// and received, and one for the RTX SSRC of each video sender, which a
// Pion client sends receiver reports about and nobody reads; Pion's own
// buffers kept 2 KB each from the first packet and grew without end in the
// unread ones. SRTP streams (publishers' media) keep what pion/srtp makes
// when no factory is set: a packetio.Buffer limited to 1 MB.
//
// Setting a factory has one other effect in Pion: a publisher's repair
// (RTX) stream is read from the first read of its track rather than from
// its arrival; every layer's read loop reads its track at once
// (layer.go).
func streamBuffer(kind packetio.BufferPacketType, _ uint32) io.ReadWriteCloser {
	if kind == packetio.RTCPBufferPacket {
		return rtcpqueue.New()
	}
	b := &rtpBuffer{Buffer: packetio.NewBuffer()}
	b.SetLimitSize(srtpBufferLimit)
	return b
}

// rtpBuffer is pion/srtp's packetBuffer: a packetio.Buffer read and written
// as an io.ReadWriteCloser, and with attributes where the reader asks.
type rtpBuffer struct {
	*packetio.Buffer
}

func (b *rtpBuffer) Read(buf []byte) (int, error) {
	n, _, err := b.Buffer.Read(buf, nil)
	return n, err
}

func (b *rtpBuffer) Write(buf []byte) (int, error) {
	return b.Buffer.Write(buf, nil)
}

// ReadWithAttributes is pion/srtp's attributeReader.
func (b *rtpBuffer) ReadWithAttributes(buf []byte, attrs packetio.Attributes) (int, packetio.Attributes, error) {
	return b.Buffer.Read(buf, attrs)
}

// WriteWithAttributes is pion/srtp's attributeWriter.
func (b *rtpBuffer) WriteWithAttributes(buf []byte, attrs packetio.Attributes) (int, error) {
	return b.Buffer.Write(buf, attrs)
}
