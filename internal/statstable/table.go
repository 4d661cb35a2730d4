// Package statstable derives a server's figures from one declaration: a
// struct generic in the types of its counters and of its gauges, whose
// fields are the rows of the table, each tagged with its Prometheus series
// and help text:
//
//	type StatsOf[C, G any] struct {
//		Rooms     G `metric:"switchboard_rooms" help:"Rooms with at least one participant."`
//		PacketsIn C `metric:"switchboard_packets_in_total" help:"RTP packets received from publishers."`
//	}
//
// Instantiated with atomics (atomic.Uint64, atomic.Int64) it holds the live
// figures, updated lock-free and without allocation on the packet path;
// with plain numbers (uint64 for counters, int for gauges) it is the
// snapshot callers read, which Snapshot takes. Rows lists the table for the
// Prometheus collector (package metrics) and for the tests, so a figure is
// added with one line and its increment.
package statstable

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
)

// ErrBadTable is returned by Rows for a struct that is not such a table.
var ErrBadTable = errors.New("statstable: bad table")

// Row is one figure of a table.
type Row struct {
	Field string // the struct's field, e.g. PacketsIn
	Name  string // the Prometheus series, e.g. switchboard_packets_in_total
	Help  string
	// Counter: the figure only grows (an unsigned field, named _total, as
	// Prometheus's conventions want); else it is a gauge (a signed field).
	Counter bool
	table   reflect.Type // the snapshot type Rows read
	index   int
}

// Rows lists the figures of S, a snapshot instantiation of a table, in the
// order of its fields. Every field is a row: it must be an integer and
// carry a metric tag naming a series that ends in _total exactly when the
// field is unsigned, and a help tag.
func Rows[S any]() ([]Row, error) {
	t := reflect.TypeFor[S]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %v is not a struct", ErrBadTable, t)
	}
	rows := make([]Row, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		r := Row{Field: f.Name, Name: f.Tag.Get("metric"), Help: f.Tag.Get("help"), table: t, index: i}
		switch f.Type.Kind() {
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			r.Counter = true
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			return nil, fmt.Errorf("%w: %v.%s is a %v, not an integer", ErrBadTable, t, f.Name, f.Type)
		}
		switch {
		case !f.IsExported():
			return nil, fmt.Errorf("%w: %v.%s is not exported", ErrBadTable, t, f.Name)
		case r.Name == "" || r.Help == "":
			return nil, fmt.Errorf("%w: %v.%s lacks a metric or help tag", ErrBadTable, t, f.Name)
		case r.Counter != strings.HasSuffix(r.Name, "_total"):
			return nil, fmt.Errorf("%w: %v.%s: a counter's series, and only a counter's, ends in _total: %s",
				ErrBadTable, t, f.Name, r.Name)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Value is r's figure in s, which must be the S that Rows read.
func Value[S any](r Row, s *S) float64 {
	v := reflect.ValueOf(s).Elem().Field(r.index)
	if r.Counter {
		return float64(v.Uint())
	}
	return float64(v.Int())
}

// Set sets r's figure in s to n, for the tests that prove a row reaches
// its series. It reports false, setting nothing, where r is not a row of
// S: the tests walk the rows of several tables at once.
func Set[S any](r Row, s *S, n uint64) bool {
	if r.table != reflect.TypeFor[S]() {
		return false
	}
	v := reflect.ValueOf(s).Elem().Field(r.index)
	if r.Counter {
		v.SetUint(n)
	} else {
		v.SetInt(int64(n))
	}
	return true
}

// Add adds n to r's figure in live, an atomic instantiation of the table
// whose snapshot Rows read. It reports false where live holds no atomic
// for r (a figure computed at snapshot time). For the tests: the packet
// path names its fields.
func Add[L any](r Row, live *L, n uint64) bool {
	switch a := reflect.ValueOf(live).Elem().Field(r.index).Addr().Interface().(type) {
	case *atomic.Uint64:
		a.Add(n)
	case *atomic.Int64:
		a.Add(int64(n))
	default:
		return false
	}
	return true
}

// Snapshot reads live, an instantiation of a table with atomics, into S,
// the same table's with plain integers: each atomic figure into its field.
// Fields of live that are not atomics (figures computed at snapshot time)
// stay zero, for the caller to fill.
func Snapshot[S, L any](live *L) S {
	var snap S
	lv, sv := reflect.ValueOf(live).Elem(), reflect.ValueOf(&snap).Elem()
	for i := range lv.NumField() {
		switch a := lv.Field(i).Addr().Interface().(type) {
		case *atomic.Uint64:
			sv.Field(i).SetUint(a.Load())
		case *atomic.Int64:
			sv.Field(i).SetInt(a.Load())
		}
	}
	return snap
}
