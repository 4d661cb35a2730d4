package signaling_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// logBWETrace writes the named subscriber's bandwidth records since from
// to the test's log, one line per allocation interval: what a test that
// failed on the controller's timing needs to tell why (the server must run
// with sfu.WithBWETrace).
func logBWETrace(t *testing.T, s *sfu.SFU, name string, from time.Time) {
	t.Helper()
	for _, tr := range s.BWETraces() {
		if tr.Name != name {
			continue
		}
		var b strings.Builder
		for _, r := range tr.Records {
			if r.At.Before(from) {
				continue
			}
			flags := ""
			if r.Overuse {
				flags += " overuse"
			}
			if r.Probing {
				flags += " probing"
			}
			fmt.Fprintf(&b, "%+7.2fs est %5dk target %5dk sent %5dk pad %4dk rtx %4dk loss %.2f%s", r.At.Sub(from).Seconds(),
				r.Estimate/1000, r.Target/1000, r.Sent/1000, r.Padding/1000, r.Retransmit/1000, r.Loss, flags)
			for _, tk := range r.Tracks {
				fmt.Fprintf(&b, " | %s step %d layer %d/%d", tk.ID[:min(len(tk.ID), 8)], tk.Step, tk.Current, tk.Target)
			}
			b.WriteByte('\n')
		}
		t.Logf("%s's bandwidth records since %s:\n%s", name, from.Format("15:04:05.000"), b.String())
	}
}
