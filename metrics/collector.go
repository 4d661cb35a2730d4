// Package metrics exposes a Switchboard server's counters in the Prometheus
// format. The collector reads the SFU's own atomic counters when a scrape
// comes, so the packet path pays nothing for being measured.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-rtc/switchboard/internal/statstable"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// Source is what the SFU's collector reads: *sfu.SFU.
type Source interface {
	Stats() sfu.Stats
}

// Collector is a prometheus.Collector over a table of figures S (package
// internal/statstable, e.g. sfu.Stats): one series per field, named and
// described by the field's tags, so no series is written here by hand.
type Collector[S any] struct {
	read  func() S
	rows  []statstable.Row
	descs []*prometheus.Desc
}

// NewCollector returns a collector of S's series that calls read at every
// scrape. It fails if S is not a table.
func NewCollector[S any](read func() S) (*Collector[S], error) {
	rows, err := statstable.Rows[S]()
	if err != nil {
		return nil, err
	}
	c := &Collector[S]{read: read, rows: rows, descs: make([]*prometheus.Desc, len(rows))}
	for i, r := range rows {
		c.descs[i] = prometheus.NewDesc(r.Name, r.Help, nil, nil)
	}
	return c, nil
}

// Describe implements prometheus.Collector.
func (c *Collector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one snapshot per scrape, so the
// series of one scrape agree with each other.
func (c *Collector[S]) Collect(ch chan<- prometheus.Metric) {
	st := c.read()
	for i, r := range c.rows {
		typ := prometheus.GaugeValue
		if r.Counter {
			typ = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[i], typ, statstable.Value(r, &st))
	}
}
