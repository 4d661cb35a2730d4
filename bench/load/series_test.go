package load

import (
	"strings"
	"testing"

	"github.com/switchboard-rtc/switchboard/metrics"
)

// TestServerSeriesAreTheTables: every switchboard_ series the load
// generator reads is a row of the server's tables (sfu.StatsOf,
// cluster.StatsOf), so renaming one there cannot leave a figure of the
// report silently at zero.
func TestServerSeriesAreTheTables(t *testing.T) {
	rows, err := metrics.Rows()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range rows {
		served[r.Name] = true
	}
	for name := range serverSeries(&ServerSnapshot{}) {
		if strings.HasPrefix(name, "switchboard_") && !served[name] {
			t.Errorf("the load generator reads %s, which the server does not serve", name)
		}
	}
}
