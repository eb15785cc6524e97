package inspect_test

import (
	"runtime"
	"testing"

	"github.com/weakscope/weakscope/inspect"
)

// BenchmarkRead and BenchmarkReadMemStats run side by side so that their
// ratio is measured on the same machine in the same run.
func BenchmarkRead(b *testing.B) {
	b.ReportAllocs()
	inspect.Read()
	for b.Loop() {
		inspect.Read()
	}
}

func BenchmarkReadMemStats(b *testing.B) {
	b.ReportAllocs()
	var ms runtime.MemStats
	for b.Loop() {
		runtime.ReadMemStats(&ms)
	}
}

// BenchmarkAllocLoop is an allocation-heavy loop (GC cycles every few
// hundred iterations) run without and with a Sampler recording every cycle:
// the ratio of the two is the Sampler's overhead.
func BenchmarkAllocLoop(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "sampler=off"
		if on {
			name = "sampler=on"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ring := make([]*node, 4096)
			var s *inspect.Sampler
			if on {
				s = inspect.NewSampler()
				s.Start()
			}
			start := inspect.Read().Cycle
			i := 0
			for b.Loop() {
				for range 100 {
					ring[i%len(ring)] = newNode()
					i++
				}
			}
			b.ReportMetric(float64(inspect.Read().Cycle-start)/float64(b.N), "gc/op")
			if on {
				tl := s.Stop()
				sampled, missed := inspect.CycleCounts(tl)
				b.ReportMetric(float64(missed)/float64(max(sampled+missed, 1)), "missed/cycle")
			}
		})
	}
}
