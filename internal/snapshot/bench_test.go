package snapshot

import (
	"fmt"
	"strconv"
	"testing"
)

type session struct {
	User    string
	Token   string
	Roles   []string
	Expires int64
	Admin   bool
}

// watchedData is what debug mode snapshots in a typical function: a cache
// keyed by caller, of plain strings or of small structs. It returns the
// value and the bytes of keys and strings it holds.
func watchedData(shape string, n int) (any, int64) {
	var size int64
	switch shape {
	case "strings":
		m := make(map[string]string, n)
		for i := range n {
			k := fmt.Sprintf("user:%06d", i)
			v := fmt.Sprintf("session=%012d;role=reader;region=eu-west-1;ttl=900", i*7919)
			m[k] = v
			size += int64(len(k) + len(v))
		}
		return &m, size
	case "structs":
		m := make(map[string]*session, n)
		for i := range n {
			s := &session{User: "user-" + strconv.Itoa(i), Token: fmt.Sprintf("tok_%032x", i*7919), Roles: []string{"reader", "billing"}, Expires: int64(i)}
			k := fmt.Sprintf("user:%06d", i)
			m[k] = s
			size += int64(len(k)+len(s.User)+len(s.Token)+len("reader")+len("billing")) + 8 + 1
		}
		return &m, size
	}
	panic(shape)
}

// eachWatched runs fn as a sub-benchmark for each shape and size of the
// watched data, MB/s counting its keys and strings.
func eachWatched(b *testing.B, fn func(b *testing.B, v any, n int)) {
	for _, shape := range []string{"strings", "structs"} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("shape=%s/entries=%d", shape, n), func(b *testing.B) {
				v, size := watchedData(shape, n)
				b.SetBytes(size)
				b.ReportAllocs()
				fn(b, v, n)
			})
		}
	}
}

// released returns a snapshot of v, released, as debug mode keeps the
// snapshots of one invocation for the next to reuse: the first
// invocation, which has none to reuse, is not timed, the steady state is.
func released(v any) *Snapshot {
	s := Take(v, Limits{})
	s.Release()
	return s
}

// BenchmarkTakeDiff is the second snapshot and the diff debug mode makes
// for a variable that changed, with the snapshot before: two snapshots of
// the same data and their diff. ns/op should grow linearly with n.
func BenchmarkTakeDiff(b *testing.B) {
	eachWatched(b, func(b *testing.B, v any, _ int) {
		spare1, spare2 := released(v), released(v)
		for b.Loop() {
			before := Take(v, Limits{Reuse: spare1})
			after := Take(v, Limits{Like: before, Reuse: spare2})
			if changes, _ := Diff(before, after, 20); len(changes) != 0 {
				b.Fatalf("%d changes in data that did not change", len(changes))
			}
			before.Release()
			after.Release()
			spare1, spare2 = before, after
		}
	})
}

// BenchmarkTakeSame is what debug mode does per watched variable and
// invocation when the invocation left the variable as it found it, the
// usual case: a snapshot before, and after, Snapshot.Same, which reads the
// variable along the snapshot without recording anything. Only when Same
// answers no does debug mode take a second snapshot and diff
// (BenchmarkTakeChanged).
func BenchmarkTakeSame(b *testing.B) {
	eachWatched(b, func(b *testing.B, v any, _ int) {
		spare := released(v)
		for b.Loop() {
			before := Take(v, Limits{Reuse: spare})
			if !before.Same(v) {
				b.Fatal("data that did not change is not the same")
			}
			before.Release()
			spare = before
		}
	})
}

// BenchmarkTakeChanged is what debug mode does per watched variable and
// invocation when the invocation changed one entry: a snapshot before;
// after, Snapshot.Same, which finds the change wherever in the walk it
// comes; then a second snapshot, which keeps only the entries that
// changed (Limits.Base), and the diff that names the change. The entry
// changed moves from one invocation to the next.
func BenchmarkTakeChanged(b *testing.B) {
	eachWatched(b, func(b *testing.B, v any, n int) {
		// change changes entry i and returns what undoes it.
		change := func(i int) func() {
			k := fmt.Sprintf("user:%06d", i)
			switch m := v.(type) {
			case *map[string]string:
				old := (*m)[k]
				(*m)[k] = "changed"
				return func() { (*m)[k] = old }
			case *map[string]*session:
				(*m)[k].Expires++
				return func() { (*m)[k].Expires-- }
			}
			panic(fmt.Sprintf("%T", v))
		}
		spare1, spare2 := released(v), released(v)
		for i := 0; b.Loop(); i++ {
			before := Take(v, Limits{Reuse: spare1})
			undo := change(i * 7919 % n)
			if before.Same(v) {
				b.Fatal("a change not seen")
			}
			after := Take(v, Limits{Like: before, Reuse: spare2, Base: before})
			if changes, _ := Diff(before, after, 20); len(changes) != 1 {
				b.Fatalf("%d changes for one", len(changes))
			}
			undo()
			before.Release()
			after.Release()
			spare1, spare2 = before, after
		}
	})
}

// BenchmarkTake and BenchmarkDiff split BenchmarkTakeDiff's cost.
func BenchmarkTake(b *testing.B) {
	v, size := watchedData("structs", 10_000)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		Take(v, Limits{})
	}
}

func BenchmarkDiff(b *testing.B) {
	v, size := watchedData("structs", 10_000)
	before, after := Take(v, Limits{}), Take(v, Limits{})
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		Diff(before, after, 20)
	}
}

// BenchmarkRangeFloor is what any walk of the structs shape costs at the
// least: two plain range loops over the map (a snapshot before and one
// after) reading every field TakeDiff records, without reflection and
// without writing anything. Its cost per entry grows with n as TakeDiff's
// does: past the caches, each entry's struct and slice are memory the loop
// waits for, in the map's order.
func BenchmarkRangeFloor(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("shape=structs/entries=%d", n), func(b *testing.B) {
			v, size := watchedData("structs", n)
			m := *v.(*map[string]*session)
			b.SetBytes(size)
			b.ReportAllocs()
			sum := 0
			for b.Loop() {
				for range 2 {
					for k, s := range m {
						sum += len(k) + len(s.User) + len(s.Token) + int(s.Expires)
						for _, r := range s.Roles {
							sum += len(r)
						}
						if s.Admin {
							sum++
						}
					}
				}
			}
			if sum == 0 {
				b.Fatal("nothing read")
			}
		})
	}
}
