package sfu

import (
	"sync"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

func TestAttributesPool(t *testing.T) {
	tests := []struct {
		name   string
		given  interceptor.Attributes
		pooled bool
	}{
		{"nil gets a pooled map", nil, true},
		{"a caller's map is passed on", interceptor.Attributes{"k": "v"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAttributesPool()
			i, err := f.NewInterceptor("pc")
			if err != nil {
				t.Fatal(err)
			}
			var got interceptor.Attributes
			w := i.BindLocalStream(&interceptor.StreamInfo{}, interceptor.RTPWriterFunc(
				func(_ *rtp.Header, _ []byte, a interceptor.Attributes) (int, error) {
					got = a
					a.Set("seen", true) // what GCC does to every packet
					return 1, nil
				}))
			if n, err := w.Write(&rtp.Header{}, nil, tt.given); n != 1 || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if got == nil {
				t.Fatal("the chain got nil attributes")
			}
			if tt.pooled && len(got) != 0 {
				t.Fatalf("pooled map went back holding %v", got)
			}
			if !tt.pooled && got["k"] != "v" {
				t.Fatalf("caller's map replaced: %v", got)
			}
		})
	}
}

// Retransmissions, padding and media write one stream from different
// goroutines: each write must get a map of its own.
func TestAttributesPoolConcurrentWrites(t *testing.T) {
	i, err := newAttributesPool().NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	w := i.BindLocalStream(&interceptor.StreamInfo{}, interceptor.RTPWriterFunc(
		func(_ *rtp.Header, _ []byte, a interceptor.Attributes) (int, error) {
			a.Set("k", 1)
			return 0, nil
		}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				_, _ = w.Write(&rtp.Header{}, nil, nil)
			}
		})
	}
	wg.Wait()
}
