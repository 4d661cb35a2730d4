package protocol

import (
	"fmt"
	"net/url"
	"strings"
)

// SignalingURL turns a server's base URL (https://meet.example.com, as a
// redirect names it) into its signaling WebSocket's (wss://meet.example.com/ws);
// a ws:// or wss:// URL is returned as it is.
func SignalingURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("protocol: server URL %q: %w", base, err)
	}
	switch u.Scheme {
	case "ws", "wss":
		return u.String(), nil
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("protocol: server URL %q: scheme must be http, https, ws or wss", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}
