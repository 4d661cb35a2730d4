package load

import (
	"strings"
	"testing"

	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

// TestServerSeriesAreTheTables: every switchboard_ series the load
// generator reads is a row of the server's tables (sfu.StatsOf,
// cluster.StatsOf), so renaming one there cannot leave a figure of the
// report silently at zero.
func TestServerSeriesAreTheTables(t *testing.T) {
	sfuRows, err := statstable.Rows[sfu.Stats]()
	if err != nil {
		t.Fatal(err)
	}
	clusterRows, err := statstable.Rows[cluster.Stats]()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range append(sfuRows, clusterRows...) {
		served[r.Name] = true
	}
	for name := range serverSeries(&ServerSnapshot{}) {
		if strings.HasPrefix(name, "switchboard_") && !served[name] {
			t.Errorf("the load generator reads %s, which the server does not serve", name)
		}
	}
}
