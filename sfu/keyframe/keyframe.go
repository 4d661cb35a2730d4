package keyframe

import "strings"

// IsKeyframe tells whether an RTP payload is the first packet of a keyframe,
// for the mime types "video/VP8", "video/VP9" and "video/H264" (compared
// case-insensitively). It returns false for any other mime type and for
// short or malformed payloads; it never panics.
func IsKeyframe(mimeType string, payload []byte) bool {
	switch {
	case strings.EqualFold(mimeType, "video/VP8"):
		return isVP8Keyframe(payload)
	case strings.EqualFold(mimeType, "video/VP9"):
		return isVP9Keyframe(payload)
	case strings.EqualFold(mimeType, "video/H264"):
		return isH264Keyframe(payload)
	default:
		return false
	}
}
