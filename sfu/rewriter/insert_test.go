package rewriter

import "testing"

func TestInsert(t *testing.T) {
	type step struct {
		op      string // "rw" rewrite, "ins" insert, "skip"
		seq     uint16
		ts      uint32
		wantSeq uint16
		wantTS  uint32
		wantOK  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"before any packet", []step{{op: "ins", wantOK: false}}},
		{"burst between packets", []step{
			{op: "rw", seq: 10, ts: 100, wantSeq: 10, wantTS: 100, wantOK: true},
			{op: "ins", wantSeq: 11, wantTS: 100, wantOK: true},
			{op: "ins", wantSeq: 12, wantTS: 100, wantOK: true},
			{op: "rw", seq: 11, ts: 200, wantSeq: 13, wantTS: 200, wantOK: true},
		}},
		{"late packet keeps its number", []step{
			{op: "rw", seq: 10, ts: 100, wantSeq: 10, wantTS: 100, wantOK: true},
			{op: "rw", seq: 12, ts: 300, wantSeq: 12, wantTS: 300, wantOK: true},
			{op: "ins", wantSeq: 13, wantTS: 300, wantOK: true},
			{op: "rw", seq: 11, ts: 200, wantSeq: 11, wantTS: 200, wantOK: true},
			{op: "rw", seq: 13, ts: 400, wantSeq: 14, wantTS: 400, wantOK: true},
		}},
		{"after a skip", []step{
			{op: "rw", seq: 10, ts: 100, wantSeq: 10, wantTS: 100, wantOK: true},
			{op: "skip", seq: 11},
			{op: "ins", wantSeq: 11, wantTS: 100, wantOK: true},
			{op: "rw", seq: 12, ts: 200, wantSeq: 12, wantTS: 200, wantOK: true},
		}},
		{"across wrap-around", []step{
			{op: "rw", seq: 65535, ts: 100, wantSeq: 65535, wantTS: 100, wantOK: true},
			{op: "ins", wantSeq: 0, wantTS: 100, wantOK: true},
			{op: "rw", seq: 0, ts: 200, wantSeq: 1, wantTS: 200, wantOK: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for i, s := range tt.steps {
				var seq uint16
				var ts uint32
				var ok bool
				switch s.op {
				case "rw":
					seq, ts, ok = r.Rewrite(s.seq, s.ts)
				case "ins":
					seq, ts, ok = r.Insert()
				case "skip":
					r.Skip(s.seq)
					continue
				}
				if ok != s.wantOK || ok && (seq != s.wantSeq || ts != s.wantTS) {
					t.Fatalf("step %d (%s): got %d %d %v, want %d %d %v", i, s.op, seq, ts, ok, s.wantSeq, s.wantTS, s.wantOK)
				}
			}
		})
	}
}
