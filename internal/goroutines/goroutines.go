// Package goroutines attributes goroutines to the invocation that started
// them, through pprof goroutine labels: a goroutine inherits the labels of
// the goroutine that starts it, so everything a handler starts — directly or
// through a library — carries the invocation's id, even when several
// invocations run at once.
package goroutines

import (
	"bufio"
	"bytes"
	"context"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// LabelKey is the pprof label that carries the invocation id.
const LabelKey = "lambdaguard_invocation"

// Mark labels the calling goroutine, and every goroutine it starts from now
// on, with id. It returns a function that restores the labels of parent.
func Mark(parent context.Context, id string) (restore func()) {
	pprof.SetGoroutineLabels(pprof.WithLabels(parent, pprof.Labels(LabelKey, id)))
	return func() { pprof.SetGoroutineLabels(parent) }
}

// Group is a set of goroutines with the same stack.
type Group struct {
	Count int
	Entry string // the function the goroutine was started with
	Top   string // the function it is in now
	Where string // file:line of Entry's frame
	Stack []string
}

// Alive returns the goroutines labelled with id that are still alive, after
// waiting up to wait for them to finish (a goroutine that was just told to
// stop needs a moment). ignore reports entry functions that are expected to
// outlive a request (a pooled connection's read loop, say).
func Alive(id string, wait time.Duration, ignore func(entry string) bool) []Group {
	deadline := time.Now().Add(wait)
	delay := 50 * time.Microsecond
	for {
		gs := find(id, ignore)
		if len(gs) == 0 || time.Now().After(deadline) {
			return gs
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

func find(id string, ignore func(string) bool) []Group {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	want := strconv.Quote(LabelKey) + ":" + strconv.Quote(id)
	var out []Group
	at := map[string]int{}
	for _, g := range parse(buf.Bytes(), want) {
		if ignore != nil && ignore(g.Entry) {
			continue
		}
		k := g.Entry + "\x00" + g.Where + "\x00" + g.Top
		if i, ok := at[k]; ok {
			out[i].Count += g.Count
			continue
		}
		at[k] = len(out)
		out = append(out, g)
	}
	return out
}

// parse reads pprof's debug=1 goroutine profile and returns the groups whose
// labels line contains want.
func parse(profile []byte, want string) []Group {
	var out []Group
	var cur *Group
	match := false
	sc := bufio.NewScanner(bytes.NewReader(profile))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	flush := func() {
		if cur != nil && match && len(cur.Stack) == 0 {
			// A goroutine that has not run yet shows no frames of its own.
			cur.Entry, cur.Top = "(not yet started)", "(not yet started)"
			out = append(out, *cur)
		} else if cur != nil && match {
			cur.Top = cur.Stack[0]
			last := cur.Stack[len(cur.Stack)-1]
			cur.Entry, cur.Where, _ = strings.Cut(last, " ")
			cur.Top, _, _ = strings.Cut(cur.Top, " ")
			out = append(out, *cur)
		}
		cur, match = nil, false
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "# labels: "):
			match = cur != nil && strings.Contains(line, want)
		case strings.HasPrefix(line, "#\t"):
			if cur == nil {
				continue
			}
			// "#\t0x4b6e04\tmain.leak.func1+0x24\t/path/main.go:12"
			f := strings.Split(line, "\t")
			if len(f) < 4 {
				continue
			}
			fn := f[2]
			if i := strings.LastIndex(fn, "+0x"); i > 0 {
				fn = fn[:i]
			}
			cur.Stack = append(cur.Stack, fn+" "+strings.TrimSpace(f[3]))
		default:
			// "3 @ 0x43c8b6 0x4089ad ..." starts a group.
			n, rest, ok := strings.Cut(line, " @ ")
			if !ok || rest == "" {
				continue
			}
			flush()
			count, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			cur = &Group{Count: count}
		}
	}
	flush()
	return out
}
