package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdaguard/lambdaguard/internal/goroutines"
	"github.com/lambdaguard/lambdaguard/internal/snapshot"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// maxChangesPerVar bounds the findings one watched variable contributes.
const maxChangesPerVar = 20

// goroutineWait is how long a goroutine that was just told to stop gets
// before it counts as leaked.
const goroutineWait = 100 * time.Millisecond

// lockWait bounds how long a check waits for a variable's own lock
// (GuardedBy): a handler that holds it, or calls its own wrapped function
// while holding it, is not waited for; the check is skipped this once.
const lockWait = 50 * time.Millisecond

// snapshotLimits bound one snapshot of a watched variable.
var snapshotLimits = snapshot.Options{MaxDepth: 32, MaxNodes: 1 << 20}

// ignoredGoroutines are entry functions that outlive a request by design:
// the read and write loops of pooled connections and the like. They neither
// count as leaks nor keep the process from being quiet: they write no
// variable of the user's.
var ignoredGoroutines = []string{
	"net/http.(*persistConn).readLoop",
	"net/http.(*persistConn).writeLoop",
	"net/http.(*http2ClientConn).readLoop",
	"net/http.(*http2clientConnReadLoop)",
	"database/sql.(*DB).connectionOpener",
	"database/sql.(*DB).connectionResetter",
	"database/sql.(*DB).connectionCleaner",
	"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor)",
	// tracing.NewSpanProcessor's exports, which a flush that timed out may
	// leave running past the invocation.
	"github.com/lambdaguard/lambdaguard/tracing.(*spanProcessor)",
}

// Config is what a guard's debug mode is configured with, resolved once.
type Config struct {
	TempBase   string // the guard's temp base; "" for os.TempDir()
	Logger     *slog.Logger
	Reporter   func(Report) // gets every report with findings
	ShowValues bool
	// Sample is the fraction of invocations checked, in (0, 1]. Below 1,
	// variables without a lock of their own are not checked: a goroutine
	// left by an invocation that was not checked cannot be told apart, and
	// reading such a variable while it writes it could crash the process.
	Sample           float64
	IgnoreGoroutines []string
	IgnoreEnv        []string
	IgnoreFD         func(target string) bool // may be nil
}

// Detector is one guard's debug mode. Its methods never panic and never
// touch the handler's result.
type Detector struct {
	cfg  Config
	base string // the temp base as /proc names descriptors in it
	red  redactor

	// clean is 1 + the count of goroutines started (goroutines.Created)
	// read before the latest look that found no labelled goroutine; 0
	// when that look found some, or none was made.
	clean atomic.Uint64

	// unseen is set once a finding said goroutines cannot be traced, and
	// cleared by the next look that can trace them.
	unseen atomic.Bool

	// missed are the labels of invocations whose goroutines could not be
	// traced when they ended; the next look that can reports theirs.
	missedMu sync.Mutex
	missed   []string
	found    []goroutines.Group // what that look found of them, for the next End to report
}

// maxMissed bounds the invocations remembered in Detector.missed.
const maxMissed = 64

// seen is told what a look that could trace goroutines found.
func (d *Detector) seen(gs []goroutines.Group) {
	d.unseen.Store(false)
	d.missedMu.Lock()
	defer d.missedMu.Unlock()
	for _, label := range d.missed {
		d.found = append(d.found, goroutines.Of(gs, label)...)
	}
	d.missed = nil
}

// missedBefore reports, in inv's report, what a look found of the
// goroutines of earlier invocations that could not be traced when they
// ended, and remembers inv when its own cannot be.
func (d *Detector) missedBefore(inv *Inv, gs []goroutines.Group) []Finding {
	d.missedMu.Lock()
	defer d.missedMu.Unlock()
	if len(gs) > 0 && gs[0].Label == goroutines.Unseen && len(d.missed) < maxMissed {
		d.missed = append(d.missed, inv.label)
	}
	var out []Finding
	for _, g := range d.found {
		id, _, _ := strings.Cut(g.Label, "#")
		out = append(out, Finding{Kind: KindGoroutine, Name: g.Entry, Path: g.Where, Record: g.Record,
			Detail: fmt.Sprintf("%d goroutine(s) started by invocation %s, which ended while goroutines could not be traced, still running, now in %s", g.Count, d.scrubData(id), g.Top)})
	}
	d.found = nil
	return out
}

// New returns a detector for cfg.
func New(cfg Config) *Detector {
	base := cfg.TempBase
	if base == "" {
		base = os.TempDir()
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	// /proc names descriptors by the resolved path: a base reached through
	// a symlink must be compared as /proc shows it.
	if real, err := filepath.EvalSymlinks(base); err == nil {
		base = real
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sample <= 0 || cfg.Sample > 1 {
		cfg.Sample = 1
	}
	changed, err := goroutines.EnableLabels()
	if changed {
		// GODEBUG was changed by the detector, not by a handler: an
		// environment read before it is no baseline.
		env.mu.Lock()
		env.state = nil
		env.mu.Unlock()
	}
	if err != nil {
		cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "lambdaguard: debug mode: "+err.Error())
	}
	return &Detector{cfg: cfg, base: base, red: redactor{show: cfg.ShowValues}}
}

// labels counts invocations for their goroutine labels, which must be
// unique even when two requests claim one id (an HTTP client can send any
// X-Amzn-RequestId it likes) or two guards count alike.
var labels atomic.Uint64

// Inv is what debug mode keeps of one invocation.
type Inv struct {
	d       *Detector
	id      string
	label   string
	sampled bool
	entered bool   // counted in by the monitor
	period  uint64 // the period it ran in
	begin   uint64 // the monitor's sequence numbers; guarded by mon.mu
	end     uint64
	taints  []taint.T
	secrets []string
	parent  context.Context
	guarded []*Var
	// exact is set when variables without a lock of their own are
	// watched: the look at its end may stand for the period's end, which
	// decides whether they are read, and must not be skipped.
	exact  bool
	errs   []Finding
	ownDir string
}

// Begin records what an invocation starts from and returns the context the
// handler must get: it carries the invocation's goroutine label, so that
// goroutines the handler starts are traced to it. It may wait for one
// bounded check by another invocation (see monitor), never for a handler.
//
// sampled is Pick's answer for this invocation: one the sample leaves out
// is only counted in and out, so that the checks of others know a handler
// runs.
func (d *Detector) Begin(ctx context.Context, id string, event any, sampled bool) (_ context.Context, inv *Inv) {
	inv = &Inv{d: d, id: id, parent: ctx, sampled: sampled}
	out := ctx
	defer func() {
		if r := recover(); r != nil {
			inv.errs = append(inv.errs, recovered("begin", r))
		}
	}()
	if inv.sampled {
		inv.taints = taint.Of(event, id)
		inv.secrets = taint.Secrets(inv.taints)
		// Valid UTF-8, as the runtime prints it back: an id a client made
		// up (guard.HTTP's X-Amzn-RequestId) may not be.
		inv.label = strings.ToValidUTF8(id, "\uFFFD") + "#" + strconv.FormatUint(labels.Add(1), 10)
	}
	p, start := mon.enter(inv)
	if start {
		inv.errs = append(inv.errs, d.startPeriod(p)...)
		mon.open()
	} else if inv.sampled && p.checked {
		d.joinPeriod(p)
	}
	if !inv.sampled {
		return ctx, inv
	}
	guarded, unguarded, errs := checked()
	inv.errs = append(inv.errs, errs...)
	inv.guarded = guarded
	inv.exact = len(unguarded) > 0
	for _, v := range guarded {
		d.baseline(v)
	}
	d.baselineEnv()
	out, _ = goroutines.Mark(ctx, inv.label)
	return out, inv
}

// Pick draws whether an invocation is checked, at the rate of Config.Sample.
func (d *Detector) Pick() bool {
	return d.cfg.Sample >= 1 || rand.Float64() < d.cfg.Sample
}

// Record labels the calling goroutine, and what it starts, with the batch
// record name too, for a checked invocation: its goroutine findings then
// name the record. restore gives the goroutine back ctx's labels.
func (inv *Inv) Record(ctx context.Context, name string) (context.Context, func()) {
	if inv == nil || !inv.sampled {
		return ctx, func() {}
	}
	return goroutines.MarkRecord(ctx, name)
}

// Resume labels the calling goroutine with the invocation's label again —
// ctx is the context Begin returned — for an invocation that ends on
// another goroutine than its handler's (a streamed body read to its end):
// what its cleanups start is then the invocation's. StopLabel undoes it.
func (inv *Inv) Resume(ctx context.Context) {
	if inv != nil && inv.sampled {
		pprofRestore(ctx)
	}
}

// StopLabel stops attributing new goroutines to the invocation, once it is
// closed (cleanups run, temp directory wiped).
func (inv *Inv) StopLabel() {
	if inv != nil && inv.sampled && inv.parent != nil {
		pprofRestore(inv.parent)
	}
}

// Sampled reports whether the invocation is checked (see Config.Sample).
func (inv *Inv) Sampled() bool { return inv != nil && inv.sampled }

// SetOwnDir tells the detector the invocation's temp directory, once made.
func (inv *Inv) SetOwnDir(dir string) {
	if inv != nil {
		inv.ownDir = dir
	}
}

// Flush runs fn, the guard's flush hooks, and records the sockets they open
// as a shared resource's: an exporter connecting to its collector during
// the first flush is no leak of that invocation.
func (inv *Inv) Flush(fn func()) {
	if inv == nil || !inv.sampled {
		fn()
		return
	}
	before := openFDs()
	fn()
	var added []string
	for fd, t := range openFDs() {
		if before[fd] != t && strings.HasPrefix(t, "socket:[") {
			added = append(added, t)
		}
	}
	mon.markFlushSockets(added)
}

// End checks what outlived the invocation and reports it. The caller has
// closed the invocation (cleanups run, temp directory wiped) and stopped
// its label.
func (d *Detector) End(inv *Inv) {
	var findings []Finding
	defer func() {
		if r := recover(); r != nil {
			findings = append(findings, recovered("end", r))
		}
		d.deliver(inv, findings)
	}()
	// What the goroutine check saw, and whether it can stand for the
	// period's end: when no other invocation ran in the period, the
	// labelled goroutines alive now are exactly those invocations left.
	var labelled []goroutines.Group
	var looked bool
	defer func() {
		// The monitor lets go of the invocation whatever happened above.
		p, last := mon.leave(inv)
		if p == nil {
			return
		}
		if last && p.checked {
			defer mon.open()
			findings = append(findings, d.endPeriod(p, labelled, looked && inv.exact && p.count == 1)...)
		} else if !last && inv.sampled {
			findings = append(findings, d.neverQuiet(p)...)
		}
	}()
	findings = append(findings, inv.errs...)
	if !inv.sampled {
		return
	}
	d.logClosed(inv)
	labelled, looked = goroutines.Await(inv.label, goroutineWait, func() []goroutines.Group { return d.labelled(inv.exact) }), true
	findings = append(findings, d.missedBefore(inv, labelled)...)
	for _, g := range labelled {
		if g.Label == goroutines.Unseen && !d.unseen.Swap(true) {
			findings = append(findings, Finding{Kind: KindDetector, Name: "goroutines",
				Detail: "goroutines left running cannot be traced to invocations: " + g.Where + "; variables without a lock of their own are not read until they can be"})
		}
		if g.Label != inv.label {
			continue
		}
		by := "this invocation"
		if g.Record != "" {
			by = "this invocation's " + g.Record
		}
		findings = append(findings, Finding{
			Kind:   KindGoroutine,
			Name:   g.Entry,
			Path:   g.Where,
			Detail: fmt.Sprintf("%d goroutine(s) started by %s still running, now in %s", g.Count, by, g.Top),
			Record: g.Record,
		})
	}
	for _, v := range inv.guarded {
		findings = append(findings, d.checkGuarded(v)...)
	}
	findings = append(findings, d.checkEnv()...)
}

// logClosed says that the invocation's scope and directory are gone: the
// isolation a reader of the logs can check.
func (d *Detector) logClosed(inv *Inv) {
	attrs := []slog.Attr{slog.String("requestId", inv.id)}
	if inv.ownDir != "" {
		_, err := os.Lstat(inv.ownDir)
		attrs = append(attrs, slog.String("tempDir", inv.ownDir), slog.Bool("tempDirRemoved", errors.Is(err, fs.ErrNotExist)))
	}
	d.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "lambdaguard: invocation closed", attrs...)
}

// labelled returns the labelled goroutines alive, less those this detector
// ignores; called when no handler runs, these are what invocations left.
// Reading every goroutine's traceback stops the world and formats every
// stack, the largest cost of a checked invocation. Unless exact, it is
// skipped when no goroutine was started since a look that found none: a
// shortcut good enough for the goroutine findings, not for deciding to read
// a variable without a lock of its own, since a goroutine that already ran
// (a worker pool's) can take on an invocation's label with pprof.Do.
func (d *Detector) labelled(exact bool) []goroutines.Group {
	before, ok := goroutines.Created()
	if !exact && ok && d.clean.Load() == before+1 {
		return nil
	}
	gs := goroutines.Labelled(d.ignoreGoroutine)
	if len(gs) == 0 || gs[0].Label != goroutines.Unseen {
		d.seen(gs)
	}
	switch {
	case !ok:
	case len(gs) == 0:
		// The look's own probe is not a goroutine started since.
		d.clean.Store(before + 1 + goroutines.LookStarts)
	default:
		d.clean.Store(0)
	}
	return gs
}

func (d *Detector) ignoreGoroutine(entry string) bool {
	for _, p := range ignoredGoroutines {
		if strings.HasPrefix(entry, p) {
			return true
		}
	}
	for _, p := range d.cfg.IgnoreGoroutines {
		if strings.HasPrefix(entry, p) {
			return true
		}
	}
	return false
}

// take snapshots v, under its own lock when it has one. ok is false when
// the lock could not be had within lockWait.
func take(v *Var) (s *snapshot.Snapshot, ok bool) {
	opts := snapshotLimits
	if v.lock != nil {
		unlock, ok := lockBounded(v.lock, lockWait)
		if !ok {
			return nil, false
		}
		defer unlock()
		opts.Held = []sync.Locker{v.lock}
	}
	return walk.Load().take(v.ptr, opts), true
}

// lockBounded takes l, for reading where it can tell readers apart, and
// gives up after wait where it can try (sync.Mutex, sync.RWMutex); a Locker
// that cannot try is locked plainly.
func lockBounded(l sync.Locker, wait time.Duration) (unlock func(), ok bool) {
	var try func() bool
	switch t := l.(type) {
	case interface {
		TryRLock() bool
		RUnlock()
	}:
		try, unlock = t.TryRLock, t.RUnlock
	case interface{ TryLock() bool }:
		try, unlock = t.TryLock, l.Unlock
	default:
		return lockWaiting(l, wait)
	}
	deadline := time.Now().Add(wait)
	for delay := 10 * time.Microsecond; ; delay = min(2*delay, time.Millisecond) {
		if try() {
			return unlock, true
		}
		if time.Now().After(deadline) {
			return nil, false
		}
		time.Sleep(delay)
	}
}

// lockWaiting takes a Locker that cannot try (mu.RLocker(), a lock of the
// user's own) in a goroutine of its own, waiting for it no longer than wait.
// A lock given up on is released as soon as that goroutine gets it: the
// check is skipped, and the handler that holds the lock is not waited for.
func lockWaiting(l sync.Locker, wait time.Duration) (unlock func(), ok bool) {
	const (
		waiting = iota
		taken
		abandoned
	)
	var state atomic.Int32
	got := make(chan struct{})
	go func() {
		l.Lock()
		if !state.CompareAndSwap(waiting, taken) {
			l.Unlock()
		}
		close(got)
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-got:
	case <-t.C:
		if state.CompareAndSwap(waiting, abandoned) {
			return nil, false
		}
		<-got
	}
	return l.Unlock, true
}

// baseline records what v holds at the first invocation of a period that
// checks it, so that what main or a test changed between invocations is
// not blamed on the next one.
func (d *Detector) baseline(v *Var) {
	v.check.Lock()
	defer v.check.Unlock()
	n := mon.current()
	if v.latest != nil && v.period == n {
		return
	}
	if s, ok := take(v); ok {
		v.latest, v.at, v.period = s, mon.now(), n
	}
}

// checkGuarded diffs v, which has a lock of its own, against its latest
// check, and makes this the latest: each change is reported once, by the
// first invocation to end after it, with the invocations that ran since.
func (d *Detector) checkGuarded(v *Var) []Finding {
	v.check.Lock()
	defer v.check.Unlock()
	now, ok := take(v)
	if !ok {
		return nil // its lock is held: the next invocation's end sees the change
	}
	before, at := v.latest, v.at
	v.latest, v.at = now, mon.now()
	if before == nil {
		return nil
	}
	return walk.Load().diff(d, v, before, now, mon.since(at))
}

// diffVar reports the changes from before to after of v, and the request
// strings that after holds and before did not.
func (d *Detector) diffVar(v *Var, before, after *snapshot.Snapshot, ids []string) []Finding {
	var out []Finding
	for _, s := range []*snapshot.Snapshot{before, after} {
		if s.Truncated != "" {
			out = append(out, Finding{Kind: KindDetector, Name: v.name,
				Detail: "snapshot incomplete, changes beyond it are not seen: " + s.Truncated})
			break
		}
	}
	if len(after.Skipped) > 0 {
		out = append(out, Finding{Kind: KindDetector, Name: v.name,
			Detail: fmt.Sprintf("%d value(s) not read because their own lock was held (first: %s)", len(after.Skipped), after.Skipped[0])})
	}
	changes, more := snapshot.Diff(before, after, maxChangesPerVar)
	inFlight := inFlightIDs(ids)
	for _, c := range changes {
		out = append(out, Finding{Kind: KindGlobal, Name: v.name, Path: v.name + d.red.path(c.Path), Detail: d.describe(c), InFlight: inFlight})
	}
	if more {
		out = append(out, Finding{Kind: KindGlobal, Name: v.name, Path: v.name, InFlight: inFlight,
			Detail: fmt.Sprintf("more than %d changes; the first %d are listed", maxChangesPerVar, maxChangesPerVar)})
	}
	if len(changes) == 0 {
		return out
	}
	old := map[string]bool{}
	before.Strings(func(_ snapshot.Path, s string) bool { old[s] = true; return true })
	invs := mon.recent()
	reported := map[string]bool{}
	after.Strings(func(p snapshot.Path, s string) bool {
		if old[s] {
			return true
		}
		if id, t, ok := findTaint(s, invs); ok && !reported[t.Value] {
			reported[t.Value] = true
			out = append(out, Finding{Kind: KindTaint, Name: v.name, Path: v.name + d.red.path(p),
				Detail: fmt.Sprintf("holds request data of %s from %s (%s) after the invocation returned; the next request can read it",
					id, d.red.where(t), d.red.text("string", t.Value))})
		}
		return true
	})
	return out
}

// findTaint returns the first of invs whose request s carries a string of.
func findTaint(s string, invs []*Inv) (string, taint.T, bool) {
	for _, inv := range invs {
		if t, ok := taint.Find(s, inv.taints); ok {
			return inv.id, t, true
		}
	}
	return "", taint.T{}, false
}

// inFlightIDs is what a finding lists of the invocations that may have
// made it: nothing when that is one.
func inFlightIDs(ids []string) []string {
	if len(ids) < 2 {
		return nil
	}
	return ids
}

func (d *Detector) describe(c snapshot.Change) string {
	switch c.Op {
	case snapshot.Added:
		return "added " + d.red.value(c.New)
	case snapshot.Removed:
		return "removed " + d.red.value(c.Old)
	}
	return "changed from " + d.red.value(c.Old) + " to " + d.red.value(c.New)
}

func recovered(stage string, r any) Finding {
	return Finding{Kind: KindDetector, Name: "detector", Detail: fmt.Sprintf("%s: recovered from %v; the handler's result is unaffected", stage, r)}
}

// deliver hands the report to the reporter, scrubbed once more of the
// request strings of every invocation running or remembered: names built
// from data were scrubbed as they were made (scrubData); this catches a
// value of the request wherever else it may appear.
func (d *Detector) deliver(inv *Inv, findings []Finding) {
	if len(findings) == 0 || d.cfg.Reporter == nil {
		return
	}
	defer func() { _ = recover() }() // a reporter's panic is not the handler's
	secrets := mon.secrets(false)
	for i := range findings {
		f := &findings[i]
		f.Name = d.red.scrub(f.Name, secrets, false)
		f.Path = d.red.scrub(f.Path, secrets, false)
		f.Detail = d.red.scrub(f.Detail, secrets, false)
	}
	d.cfg.Reporter(Report{InvocationID: inv.id, Findings: findings})
}

// scrubData scrubs a name built from data — a file name, a descriptor's
// target, an environment variable's name — of every request string of the
// invocations running and remembered: values and keys, the short ones where
// they stand as a whole segment.
func (d *Detector) scrubData(s string) string {
	return d.red.scrub(s, mon.secrets(true), true)
}
