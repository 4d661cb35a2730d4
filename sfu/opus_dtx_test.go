package sfu

import (
	"strings"
	"testing"
)

func TestPreferOpusDTX(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"adds it to Opus only",
			"m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\na=fmtp:0 foo=1\r\n",
			"a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\na=rtpmap:0 PCMU/8000\r\na=fmtp:0 foo=1\r\n",
		},
		{
			"keeps an explicit choice",
			"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 usedtx=0\r\n",
			"a=fmtp:111 usedtx=0\r\n",
		},
		{
			"no Opus, no change",
			"a=rtpmap:96 VP8/90000\r\na=fmtp:96 x=1\r\n",
			"a=fmtp:96 x=1\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := preferOpusDTX(tt.in); !strings.HasSuffix(got, tt.want) {
				t.Fatalf("got %q, want it to end with %q", got, tt.want)
			}
		})
	}
}
