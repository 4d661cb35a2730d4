package metrics

import (
	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

// Rows lists every row of the server's tables, the SFU's (sfu.StatsOf) then
// a cluster node's (cluster.StatsOf): every switchboard_ series a server
// may serve, for the tests that hold the docs and the load generator to
// them.
func Rows() ([]statstable.Row, error) {
	own, err := statstable.Rows[sfu.Stats]()
	if err != nil {
		return nil, err
	}
	node, err := statstable.Rows[cluster.Stats]()
	if err != nil {
		return nil, err
	}
	return append(own, node...), nil
}
