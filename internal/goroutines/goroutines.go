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
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// LabelKey is the pprof label that carries the invocation id.
const LabelKey = "lambdaguard_invocation"

// RecordKey is the pprof label that carries the batch record a goroutine was
// started for, beside the invocation's.
const RecordKey = "lambdaguard_record"

// MarkRecord labels the calling goroutine, and every goroutine it starts
// from now on, with the batch record name as well as the labels of parent.
// restore gives the goroutine back the labels of parent.
func MarkRecord(parent context.Context, name string) (ctx context.Context, restore func()) {
	ctx = pprof.WithLabels(parent, pprof.Labels(RecordKey, name))
	pprof.SetGoroutineLabels(ctx)
	return ctx, func() { pprof.SetGoroutineLabels(parent) }
}

// Mark labels the calling goroutine, and every goroutine it starts from now
// on, with id. It returns the labelled context, which the handler must be
// given: code that sets goroutine labels from its context (pprof.Do in a
// worker pool, pprof.SetGoroutineLabels in a tracer) then keeps the
// invocation's label instead of wiping it. restore gives the goroutine back
// the labels of parent.
func Mark(parent context.Context, id string) (ctx context.Context, restore func()) {
	ctx = pprof.WithLabels(parent, pprof.Labels(LabelKey, id))
	pprof.SetGoroutineLabels(ctx)
	return ctx, func() { pprof.SetGoroutineLabels(parent) }
}

// Group is a set of goroutines with the same stack.
type Group struct {
	Count  int
	Entry  string // the function the goroutine was started with
	Top    string // the function it is in now
	Where  string // file:line of Entry's frame
	Label  string // the invocation id it is labelled with
	Record string // the batch record it was started for, if any
	Stack  []string
}

// Await looks with look until it finds no goroutine labelled id, or wait
// has passed (a goroutine that was just told to stop needs a moment), and
// returns what the last look found, whatever their labels.
func Await(id string, wait time.Duration, look func() []Group) []Group {
	deadline := time.Now().Add(wait)
	delay := 50 * time.Microsecond
	for {
		gs := look()
		if len(Of(gs, id)) == 0 || time.Now().After(deadline) {
			return gs
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// Of returns those of gs labelled id.
func Of(gs []Group, id string) []Group {
	var out []Group
	for _, g := range gs {
		if g.Label == id {
			out = append(out, g)
		}
	}
	return out
}

// Created returns how many goroutines the process has started so far, and
// false where the runtime does not say. A goroutine can only carry an
// invocation's label if it was started after that invocation began: when
// no goroutine was started since a look that found none labelled, none is,
// and the look need not be made again.
func Created() (uint64, bool) {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return s[0].Value.Uint64(), true
}

// Labelled returns every goroutine alive now that carries an invocation's
// label, whichever invocation it is: what an invocation left behind, and
// what running ones do. ignore reports entry functions that are expected to
// outlive a request (a pooled connection's read loop, say); nil ignores
// none.
func Labelled(ignore func(entry string) bool) []Group {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	want := strconv.Quote(LabelKey) + ":"
	var out []Group
	at := map[string]int{}
	for _, g := range parse(buf.Bytes(), want) {
		if ignore != nil && ignore(g.Entry) {
			continue
		}
		k := g.Label + "\x00" + g.Record + "\x00" + g.Entry + "\x00" + g.Where + "\x00" + g.Top
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
			// A goroutine started through a helper (wg.Go, errgroup's
			// Go) is named after the function it was given.
			for i := len(cur.Stack) - 1; i > 0 && starter(last); i-- {
				last = cur.Stack[i-1]
			}
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
			i := strings.Index(line, want)
			match = cur != nil && i >= 0
			if match {
				key := strconv.Quote(LabelKey) + ":"
				cur.Label = labelValue(line[strings.Index(line, key)+len(key):])
				if r := strconv.Quote(RecordKey) + ":"; strings.Contains(line, r) {
					cur.Record = labelValue(line[strings.Index(line, r)+len(r):])
				}
			}
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

// labelValue reads the quoted label value at the start of s.
func labelValue(s string) string {
	if i := strings.IndexByte(s, '"'); i >= 0 {
		if q, err := strconv.QuotedPrefix(s[i:]); err == nil {
			v, _ := strconv.Unquote(q)
			return v
		}
	}
	return ""
}

// starters are the functions that start a goroutine for a function they
// are given, and are its bottom frame.
var starters = []string{
	"sync.(*WaitGroup).Go.",
	"golang.org/x/sync/errgroup.(*Group).Go.",
	"golang.org/x/sync/errgroup.(*Group).TryGo.",
}

func starter(frame string) bool {
	for _, p := range starters {
		if strings.HasPrefix(frame, p) {
			return true
		}
	}
	return false
}
