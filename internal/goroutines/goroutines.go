// Package goroutines attributes goroutines to the invocation that started
// them, through pprof goroutine labels: a goroutine inherits the labels of
// the goroutine that starts it, so everything a handler starts — directly or
// through a library — carries the invocation's id, even when several
// invocations run at once. The labels are read back from the runtime's
// tracebacks, which print them once EnableLabels has run.
package goroutines

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// Unseen is the label of the one Group Labelled returns when it cannot
// tell which goroutines carry an invocation's label: the runtime did not
// print labels (GODEBUG was replaced after EnableLabels, or the setting is
// gone), or the traceback was too large to read whole. Where says why.
// Such a look must be taken to mean that goroutines of earlier invocations
// may be running.
const Unseen = "(unseen)"

// LookStarts is how many goroutines each Labelled call starts (its probe),
// for a caller that compares Created before and after a look.
const LookStarts = 1

// probe is the invocation label of the goroutine each look starts to see
// that labels are printed.
const probe = "lambdaguard-probe"

// Labelled returns every goroutine alive now that carries an invocation's
// label, whichever invocation it is: what an invocation left behind, and
// what running ones do. ignore reports entry functions that are expected to
// outlive a request (a pooled connection's read loop, say); nil ignores
// none. When the look cannot be trusted, it returns one Group labelled
// Unseen instead (see Unseen).
func Labelled(ignore func(entry string) bool) []Group {
	gs, probed, whole := look()
	var out []Group
	at := map[string]int{}
	for _, g := range gs {
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
	switch {
	case !whole:
		return []Group{unseen("the traceback of every goroutine is larger than " + strconv.FormatInt(maxStacks>>10, 10) + " KiB")}
	case !probed:
		return []Group{unseen("the runtime does not print goroutine labels in tracebacks: GODEBUG no longer has " + godebugLabels + " (it was replaced after debug mode started)")}
	}
	return out
}

func unseen(why string) Group {
	return Group{Count: 1, Label: Unseen, Entry: "(goroutines not traceable to invocations)", Top: "(unknown)", Where: why}
}

// maxStacks bounds the traceback Labelled reads: past it, the look is not
// trusted (see Unseen). A variable for the tests.
var maxStacks int64 = 64 << 20

// lastSize is the buffer size the latest traceback fitted in, where the
// next look starts: a process with many goroutines is not formatted over and
// over at growing sizes on every look.
var lastSize atomic.Int64

// look returns the labelled goroutines of a traceback of every goroutine,
// less the probe; probed is whether the probe showed in it, whole whether
// the traceback fitted in maxStacks.
func look() (gs []Group, probed, whole bool) {
	tb, whole := stacksWithProbe()
	for _, g := range parse(tb) {
		if g.Label == probe {
			probed = true
			continue
		}
		gs = append(gs, g)
	}
	return gs, probed, whole
}

// stacksWithProbe returns the traceback of every goroutine, as a panic
// prints it, while a probe goroutine labelled probe is parked, and whether
// the traceback is whole.
func stacksWithProbe() ([]byte, bool) {
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		// Started with the caller's labels; labelled as the probe before
		// the look.
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(LabelKey, probe)))
		close(ready)
		<-done
	}()
	<-ready
	defer close(done)
	size := min(max(lastSize.Load(), 64<<10), maxStacks)
	for {
		buf := make([]byte, size)
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			lastSize.Store(size)
			return buf[:n], true
		}
		if size >= maxStacks {
			return buf[:n], false
		}
		size = min(2*size, maxStacks)
	}
}

// godebugLabels is the GODEBUG setting that makes the runtime print a
// goroutine's labels in its traceback header (Go 1.26 and later).
const godebugLabels = "tracebacklabels=1"

var enable struct {
	once sync.Once
	err  error
}

// EnableLabels turns on the runtime's tracebacklabels setting, once per
// process, by adding it to GODEBUG: the runtime reads a change of GODEBUG
// made with os.Setenv at once, and Labelled reads labels from tracebacks
// (runtime.Stack) rather than from a goroutine profile, which would link all
// of runtime/pprof's profile writers into every guarded function. changed
// is true for the one call that changed the environment; err is non-nil
// when the runtime does not print labels even so (a Go release that dropped
// the setting).
func EnableLabels() (changed bool, err error) {
	enable.once.Do(func() {
		v := os.Getenv("GODEBUG")
		if lastSetting(v, "tracebacklabels") != "1" {
			if v != "" {
				v += ","
			}
			enable.err = os.Setenv("GODEBUG", v+godebugLabels)
			changed = enable.err == nil
		}
		if _, probed, _ := look(); enable.err == nil && !probed {
			enable.err = errors.New("the runtime does not print goroutine labels in tracebacks (GODEBUG=" + godebugLabels + "): goroutines left running cannot be traced to an invocation")
		}
	})
	return changed, enable.err
}

// lastSetting returns the value the last setting of key in a GODEBUG list
// gives it, which is the one the runtime applies.
func lastSetting(godebug, key string) string {
	val := ""
	for f := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && k == key {
			val = v
		}
	}
	return val
}

// parse reads a traceback of every goroutine (runtime.Stack with all set)
// and returns, one per goroutine, those labelled with an invocation.
//
//	goroutine 19 [chan receive labels:{"lambdaguard_invocation": "7"}]:
//	main.leak(...)
//		/src/main.go:13
//	created by main.main in goroutine 1
//		/src/main.go:20 +0x108
func parse(traceback []byte) []Group {
	var out []Group
	var cur *Group
	created := false // past the "created by" line: the frames are the creator's
	pending := ""    // a function line waiting for its file:line
	flush := func() {
		if cur != nil {
			if len(cur.Stack) == 0 {
				// A goroutine that has not run yet shows only the wrapper
				// the go statement made (dropped below), or nothing.
				cur.Entry, cur.Top = "(not yet started)", "(not yet started)"
			} else {
				cur.Top, _, _ = strings.Cut(cur.Stack[0], " ")
				last := cur.Stack[len(cur.Stack)-1]
				// A goroutine started through a helper (wg.Go, errgroup's
				// Go) is named after the function it was given.
				for i := len(cur.Stack) - 1; i > 0 && starter(last); i-- {
					last = cur.Stack[i-1]
				}
				cur.Entry, cur.Where, _ = strings.Cut(last, " ")
			}
			// A frame line that names no function (a traceback of some
			// other shape) still leaves a goroutine that counts.
			if cur.Entry == "" {
				cur.Entry = "(unknown)"
			}
			if cur.Top == "" {
				cur.Top = "(unknown)"
			}
			out = append(out, *cur)
		}
		cur, created, pending = nil, false, ""
	}
	for line := range strings.Lines(string(traceback)) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, "]:"):
			flush()
			_, list, ok := strings.Cut(line, " labels:{")
			if !ok {
				continue
			}
			labels := parseLabels(list)
			if id, ok := labels[LabelKey]; ok {
				cur = &Group{Count: 1, Label: id, Record: labels[RecordKey]}
			}
		case cur == nil || created:
		case strings.HasPrefix(line, "created by "):
			created = true
		case strings.HasPrefix(line, "\t"):
			if pending == "" {
				continue
			}
			// "\t/src/main.go:13 +0x24"
			where, _, _ := strings.Cut(strings.TrimSpace(line), " +0x")
			if !notYetRun(pending) {
				cur.Stack = append(cur.Stack, pending+" "+where)
			}
			pending = ""
		case strings.HasPrefix(line, "..."):
			// "...additional frames elided..."
		default:
			// "main.leak(...)", "main.(*T).run(0xc000010000)"
			fn := line
			if strings.HasSuffix(fn, ")") {
				if i := strings.LastIndexByte(fn, '('); i > 0 {
					fn = fn[:i]
				}
			}
			pending = fn
		}
	}
	flush()
	return out
}

// notYetRun reports whether fn is a frame a goroutine shows before it has
// run any code of its own: the wrapper a go statement with arguments makes
// (main.f.gowrap1), and the runtime's goexit below it.
func notYetRun(fn string) bool {
	if fn == "runtime.goexit" {
		return true
	}
	_, n, ok := strings.Cut(fn, ".gowrap")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// parseLabels reads the label list of a traceback header, after "labels:{":
// `"k": "v", "k2": "v2"}]:`, each key and value quoted as Go quotes them.
// It stops at the first thing it cannot read.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for {
		k, rest, ok := quoted(s)
		if !ok {
			return out
		}
		rest, ok = strings.CutPrefix(rest, ": ")
		if !ok {
			return out
		}
		v, rest, ok := quoted(rest)
		if !ok {
			return out
		}
		out[k] = v
		if s, ok = strings.CutPrefix(rest, ", "); !ok {
			return out
		}
	}
}

// quoted unquotes the Go-quoted string s starts with, and returns what
// follows it.
func quoted(s string) (val, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
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
