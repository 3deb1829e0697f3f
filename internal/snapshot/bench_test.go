package snapshot

import (
	"fmt"
	"strconv"
	"testing"
)

// BenchmarkTakeDiff takes a snapshot of a map, changes one entry, takes
// another and diffs them, as debug mode does around an invocation. The cost
// per entry must not grow with the map: ns/entry at 100k entries within
// 1.5x of that at 1k.
func BenchmarkTakeDiff(b *testing.B) {
	type entry struct {
		A string
		B int
	}
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			m := make(map[string]entry, n)
			for i := range n {
				m["user:"+strconv.Itoa(i)] = entry{A: "value " + strconv.Itoa(i), B: i}
			}
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				before := Take(&m, Options{})
				m["user:7"] = entry{A: "changed", B: iters}
				after := Take(&m, Options{})
				if c, _ := Diff(before, after, 0); len(c) == 0 {
					b.Fatal("no change found")
				}
				iters++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iters*n), "ns/entry")
		})
	}
}
