package bench

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPionErrors: Pion's errors stay errors, but for writes to a transport
// that has closed, which a leaving client makes by the dozen.
func TestPionErrors(t *testing.T) {
	tests := []struct {
		name    string
		log     func(l pionLogger)
		wantErr bool
	}{
		{"an error", func(l pionLogger) { l.Error("failed to handshake") }, true},
		{"a formatted error", func(l pionLogger) { l.Errorf("dtls: %v", "bad record") }, true},
		{"closed pipe", func(l pionLogger) { l.Error("io: read/write on closed pipe") }, false},
		{"closed pipe, formatted", func(l pionLogger) { l.Errorf("write rtcp: %v", "io: read/write on closed pipe") }, false},
		{"a warning is info", func(l pionLogger) { l.Warn("routine") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f := pionLogs{slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			tt.log(f.NewLogger("twcc_sender_interceptor").(pionLogger))
			if got := strings.Contains(out.String(), "level=ERROR"); got != tt.wantErr {
				t.Fatalf("logged %q: error %v, want %v", out.String(), got, tt.wantErr)
			}
		})
	}
}
