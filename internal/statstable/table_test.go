package statstable

import (
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
)

// tableOf is a table as packages declare theirs.
type tableOf[C, G any] struct {
	Things G `metric:"x_things" help:"Things now."`
	Hits   C `metric:"x_hits_total" help:"Hits so far."`
	Misses C `metric:"x_misses_total" help:"Misses so far."`
}

type (
	snap      = tableOf[uint64, int]
	live      = tableOf[atomic.Uint64, struct{}]
	liveGauge = tableOf[atomic.Uint64, atomic.Int64]
)

func TestRows(t *testing.T) {
	rows, err := Rows[snap]()
	if err != nil {
		t.Fatal(err)
	}
	tab := reflect.TypeFor[snap]()
	want := []Row{
		{Field: "Things", Name: "x_things", Help: "Things now.", table: tab, index: 0},
		{Field: "Hits", Name: "x_hits_total", Help: "Hits so far.", Counter: true, table: tab, index: 1},
		{Field: "Misses", Name: "x_misses_total", Help: "Misses so far.", Counter: true, table: tab, index: 2},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
}

func TestRowsRefusesWhatIsNotATable(t *testing.T) {
	type untagged struct {
		N uint64 `metric:"x_n_total"`
	}
	type counterNotTotal struct {
		N uint64 `metric:"x_n" help:"n"`
	}
	type gaugeTotal struct {
		N int `metric:"x_n_total" help:"n"`
	}
	type notInteger struct {
		N string `metric:"x_n" help:"n"`
	}
	type unexported struct {
		n int `metric:"x_n" help:"n"`
	}
	for name, rows := range map[string]func() ([]Row, error){
		"no help":            Rows[untagged],
		"counter not _total": Rows[counterNotTotal],
		"gauge named _total": Rows[gaugeTotal],
		"not an integer":     Rows[notInteger],
		"unexported":         Rows[unexported],
		"not a struct":       Rows[int],
	} {
		if _, err := rows(); !errors.Is(err, ErrBadTable) {
			t.Errorf("%s: %v, want ErrBadTable", name, err)
		}
	}
	_ = unexported{n: 0}
}

// TestSnapshotCopiesTheAtomics: the snapshot holds every live atomic's
// value in its own field, and leaves a gauge without one at zero.
func TestSnapshotCopiesTheAtomics(t *testing.T) {
	var l live
	l.Hits.Add(3)
	l.Misses.Add(5)
	if s := Snapshot[snap](&l); s != (snap{Hits: 3, Misses: 5}) {
		t.Fatalf("snapshot %+v", s)
	}
	var lg liveGauge
	lg.Things.Store(-2)
	if s := Snapshot[snap](&lg); s != (snap{Things: -2}) {
		t.Fatalf("snapshot %+v", s)
	}
}

// TestAddSetValue: a row's figure is reached through the row, live and
// in a snapshot, as the tests of the tables' packages do.
func TestAddSetValue(t *testing.T) {
	rows, err := Rows[snap]()
	if err != nil {
		t.Fatal(err)
	}
	var l live
	if Add(rows[0], &l, 1) {
		t.Error("added to a gauge with no atomic")
	}
	if !Add(rows[2], &l, 4) || l.Misses.Load() != 4 || l.Hits.Load() != 0 {
		t.Errorf("after Add: hits %d, misses %d, want 0, 4", l.Hits.Load(), l.Misses.Load())
	}
	var s snap
	for i, r := range rows {
		if !Set(r, &s, uint64(10+i)) {
			t.Fatalf("%s not set", r.Field)
		}
	}
	var other tableOf[uint32, int]
	if Set(rows[1], &other, 1) || other.Hits != 0 {
		t.Error("set a row in another table")
	}
	for i, r := range rows {
		if got := Value(r, &s); got != float64(10+i) {
			t.Errorf("%s = %v, want %d", r.Field, got, 10+i)
		}
	}
}

// TestAddAllocatesNothing: counting through a live table, as the packet
// path does, allocates nothing.
func TestAddAllocatesNothing(t *testing.T) {
	var l live
	if n := testing.AllocsPerRun(1000, func() { l.Hits.Add(1) }); n != 0 {
		t.Fatalf("%.1f allocations per add", n)
	}
}

func BenchmarkAdd(b *testing.B) {
	var l live
	b.ReportAllocs()
	for b.Loop() {
		l.Hits.Add(1)
	}
}
