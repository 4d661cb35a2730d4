package protocol

import "testing"

func TestSignalingURL(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"https://meet.example.com", "wss://meet.example.com/ws", false},
		{"https://meet.example.com/", "wss://meet.example.com/ws", false},
		{"http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws", false},
		{"http://host/prefix/?x=1#y", "ws://host/prefix/ws", false},
		{"wss://sfu-2.example.com/ws", "wss://sfu-2.example.com/ws", false},
		{"ftp://host", "", true},
		{"://bad", "", true},
	}
	for _, tt := range tests {
		got, err := SignalingURL(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("SignalingURL(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
