package sfu

import (
	"strings"
)

// preferOpusDTX adds usedtx=1 to every Opus a=fmtp line of sdp that does
// not say otherwise. usedtx is a receiver's preference to the sender (RFC
// 7587 §6.1): "send nothing while silent". Pion's answers copy the
// browser's own Opus parameters, losing the server's, so the copy sent to
// the client carries it; Pion's local description stays as Pion made it.
func preferOpusDTX(sdp string) string {
	lines := strings.Split(sdp, "\r\n")
	opus := map[string]bool{}
	for _, l := range lines {
		// a=rtpmap:<pt> opus/48000/2 (RFC 4566 §6, RFC 7587 §7)
		if rest, ok := strings.CutPrefix(l, "a=rtpmap:"); ok {
			pt, codec, _ := strings.Cut(rest, " ")
			if strings.HasPrefix(strings.ToLower(codec), "opus/") {
				opus[pt] = true
			}
		}
	}
	if len(opus) == 0 {
		return sdp
	}
	changed := false
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "a=fmtp:")
		if !ok {
			continue
		}
		pt, params, _ := strings.Cut(rest, " ")
		if !opus[pt] || strings.Contains(params, "usedtx=") {
			continue
		}
		if params == "" {
			lines[i] = "a=fmtp:" + pt + " usedtx=1"
		} else {
			lines[i] = l + ";usedtx=1"
		}
		changed = true
	}
	if !changed {
		return sdp
	}
	return strings.Join(lines, "\r\n")
}
