package guard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdaguard/lambdaguard/internal/goroutines"
	"github.com/lambdaguard/lambdaguard/internal/procstate"
	"github.com/lambdaguard/lambdaguard/internal/snapshot"
	"github.com/lambdaguard/lambdaguard/internal/taint"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// maxChangesPerVar bounds the findings one watched variable contributes.
const maxChangesPerVar = 20

// maxStrayRead is how much of a stray file is read to look for request data.
const maxStrayRead = 1 << 20

// goroutineWait is how long a goroutine that was just told to stop gets
// before it counts as leaked.
const goroutineWait = 100 * time.Millisecond

// ignoredGoroutines are entry functions that outlive a request by design:
// the read and write loops of pooled connections and the like.
var ignoredGoroutines = []string{
	"net/http.(*persistConn).readLoop",
	"net/http.(*persistConn).writeLoop",
	"net/http.(*http2ClientConn).readLoop",
	"net/http.(*http2clientConnReadLoop)",
	"database/sql.(*DB).connectionOpener",
	"database/sql.(*DB).connectionResetter",
	"database/sql.(*DB).connectionCleaner",
	"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor)",
	// The export a full buffer starts, which a flush that timed out may
	// leave running past the invocation.
	"github.com/lambdaguard/lambdaguard/tracing.(*SpanProcessor)",
}

// detector is debug mode: it is nil on a guard with debug off.
type detector struct {
	cfg    *config
	redact *redactor
	base   string

	mu      sync.Mutex
	running map[*watchInv]struct{}

	// quiet keeps snapshots of watched variables without a lock of their
	// own (no GuardedBy) apart from handlers: a handler runs under a read
	// lock, such a snapshot under the write lock. Reading a map while a
	// concurrent invocation writes it is a data race, and for a map a fatal
	// error that no recover catches.
	quiet sync.RWMutex

	// procMu serialises the detector's own reads of process state: while
	// one invocation lists the open descriptors, no other invocation's
	// detector holds a transient descriptor of its own (/proc, the temp
	// base) that would show up as a leak.
	procMu sync.Mutex
}

func newDetector(cfg *config) *detector {
	// The base as tmpfs.New resolves it: /proc names descriptors by absolute
	// path, and otherGuardDir matches them against it. newConfig made a
	// base given absolute already.
	base := cfg.tempBase
	if base == "" {
		base = os.TempDir()
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	return &detector{cfg: cfg, redact: newRedactor(cfg.showValues), base: base, running: map[*watchInv]struct{}{}}
}

// watchInv is what debug mode keeps for one invocation.
type watchInv struct {
	id      string
	label   string // the pprof label of the invocation's goroutines
	event   any
	vars    []*watched
	before  []*snapshot.Snapshot
	proc    *procstate.State
	overlap map[string]struct{} // ids of invocations that ran at the same time; guarded by detector.mu
	restore func()
	errs    []Finding
	ownDir  string // the invocation's temp directory, if it made one
}

// before records the state ahead of the handler and labels the calling
// goroutine so that goroutines the handler starts can be traced to it.
func (d *detector) before(ctx context.Context, id string, number uint64, event any) (w *watchInv) {
	// The goroutine label is unique even when two requests claim one id
	// (an HTTP client can send any X-Amzn-RequestId it likes).
	label := id + "#" + strconv.FormatUint(number, 10)
	w = &watchInv{id: id, label: label, event: event, overlap: map[string]struct{}{}}
	defer func() {
		if r := recover(); r != nil {
			w.errs = append(w.errs, detectorFinding("before", r))
		}
	}()
	d.mu.Lock()
	for other := range d.running {
		other.overlap[id] = struct{}{}
		w.overlap[other.id] = struct{}{}
	}
	d.running[w] = struct{}{}
	d.mu.Unlock()

	for _, v := range watchedVars() {
		if v.shared || v.err != nil {
			if v.err != nil {
				w.errs = append(w.errs, Finding{Kind: KindDetector, Name: v.name, Detail: v.err.Error()})
			}
			continue
		}
		w.vars = append(w.vars, v)
	}
	w.before = d.takeAll(w.vars, nil)
	w.proc = d.takeProc()
	w.restore = goroutines.Mark(ctx, label)
	return w
}

// takeAll snapshots vars (like, when not nil, holds earlier snapshots of
// them).
func (d *detector) takeAll(vars []*watched, like []*snapshot.Snapshot) []*snapshot.Snapshot {
	out := make([]*snapshot.Snapshot, len(vars))
	d.readAll(vars, func(i int, v *watched) {
		var l *snapshot.Snapshot
		if like != nil {
			l = like[i]
		}
		// Taken to be diffed against l: a root map's entries that still
		// hold what l recorded are not copied again (Limits.Base).
		out[i] = snapshot.Take(v.ptr, snapshot.Limits{Like: l, Reuse: v.reuse(), Base: l})
	})
	return out
}

// changed returns those of vars that no longer hold what their snapshots
// in before recorded, and those snapshots; the snapshots of the others are
// released (before must not be read afterwards). Snapshot.Same reads a
// variable along its snapshot and records nothing: a variable the
// invocation left as it found it, the usual case, costs no second snapshot
// and no diff. Those that changed are snapshotted after, under another
// hold of the locks: a concurrent invocation may change them in between,
// and its changes are reported here, with the invocations in flight.
func (d *detector) changed(vars []*watched, before []*snapshot.Snapshot) ([]*watched, []*snapshot.Snapshot) {
	same := make([]bool, len(vars))
	d.readAll(vars, func(i int, v *watched) { same[i] = before[i].Same(v.ptr) })
	var cv []*watched
	var cb []*snapshot.Snapshot
	for i, v := range vars {
		if same[i] {
			v.release(before[i])
			continue
		}
		cv, cb = append(cv, v), append(cb, before[i])
	}
	return cv, cb
}

// readAll calls read for each of vars: under the variable's own lock
// (GuardedBy), or, for those without one, while no handler runs.
func (d *detector) readAll(vars []*watched, read func(i int, v *watched)) {
	unguarded := false
	for _, v := range vars {
		unguarded = unguarded || v.lock == nil
	}
	if unguarded {
		d.quiet.Lock()
		defer d.quiet.Unlock()
	}
	for i, v := range vars {
		func() {
			if v.lock != nil {
				v.lock.Lock()
				defer v.lock.Unlock()
			}
			read(i, v)
		}()
	}
}

// enter and leave bracket a handler: see quiet.
func (d *detector) enter() { d.quiet.RLock() }
func (d *detector) leave() { d.quiet.RUnlock() }

// stopLabel stops attributing new goroutines to the invocation: cleanup's
// own helpers are not the handler's.
func (w *watchInv) stopLabel() {
	if w != nil && w.restore != nil {
		w.restore()
		w.restore = nil
	}
}

// after diffs the state against before, and reports what outlived the
// invocation. It never panics and never touches the handler's result. The
// caller has stopped the label (stopLabel) before the invocation's cleanup.
func (d *detector) after(w *watchInv) {
	var findings []Finding
	var taints []taint.T
	defer func() {
		if r := recover(); r != nil {
			findings = append(findings, detectorFinding("after", r))
		}
		d.mu.Lock()
		delete(d.running, w)
		overlap := make([]string, 0, len(w.overlap))
		for id := range w.overlap {
			overlap = append(overlap, id)
		}
		d.mu.Unlock()
		d.deliver(w, findings, taints, overlap)
	}()
	d.logClosed(w)
	findings = append(findings, w.errs...)
	taints = taint.Of(w.event, w.id)

	for _, g := range goroutines.Alive(w.label, goroutineWait, d.ignoreGoroutine) {
		findings = append(findings, Finding{
			Kind:   KindGoroutine,
			Name:   g.Entry,
			Path:   g.Where,
			Detail: fmt.Sprintf("%d goroutine(s) started by this invocation still running, now in %s", g.Count, g.Top),
		})
	}
	vars, before := d.changed(w.vars, w.before)
	afters := d.takeAll(vars, before)
	for i, v := range vars {
		findings = append(findings, d.diffVar(v, before[i], afters[i], taints)...)
		v.release(before[i], afters[i])
	}
	findings = append(findings, d.diffProc(w, taints)...)
}

// logClosed says, in debug mode, that the invocation's scope and directory
// are gone: the isolation a reader of the logs can check.
func (d *detector) logClosed(w *watchInv) {
	attrs := []slog.Attr{slog.String("requestId", w.id)}
	if w.ownDir != "" {
		_, err := os.Lstat(w.ownDir)
		attrs = append(attrs, slog.String("tempDir", w.ownDir), slog.Bool("tempDirRemoved", errors.Is(err, fs.ErrNotExist)))
	}
	d.cfg.logger.LogAttrs(context.Background(), slog.LevelInfo, "lambdaguard: invocation closed", attrs...)
}

func (d *detector) ignoreGoroutine(entry string) bool {
	for _, p := range ignoredGoroutines {
		if strings.HasPrefix(entry, p) {
			return true
		}
	}
	for _, p := range d.cfg.ignoreGoroutines {
		if strings.HasPrefix(entry, p) {
			return true
		}
	}
	return false
}

func (d *detector) diffVar(v *watched, before, after *snapshot.Snapshot, taints []taint.T) []Finding {
	var out []Finding
	for _, s := range []*snapshot.Snapshot{before, after} {
		if s.Truncated != "" {
			out = append(out, Finding{Kind: KindDetector, Name: v.name,
				Detail: "snapshot incomplete, changes beyond it are not seen: " + s.Truncated})
			break
		}
	}
	changes, more := snapshot.Diff(before, after, maxChangesPerVar)
	for _, c := range changes {
		out = append(out, Finding{Kind: KindGlobal, Name: v.name, Path: v.name + d.redact.path(c.Path), Detail: d.describe(c)})
	}
	if more {
		out = append(out, Finding{Kind: KindGlobal, Name: v.name, Path: v.name,
			Detail: fmt.Sprintf("more than %d changes; the first %d are listed", maxChangesPerVar, maxChangesPerVar)})
	}
	if len(changes) == 0 {
		return out
	}
	// Taint: request strings that are in the variable now and were not before.
	old := map[string]bool{}
	before.Strings(func(_, s string) bool { old[s] = true; return true })
	reported := map[string]bool{}
	after.Strings(func(p, s string) bool {
		if old[s] {
			return true
		}
		if t, ok := taint.Find(s, taints); ok && !reported[t.Value] {
			reported[t.Value] = true
			out = append(out, Finding{Kind: KindTaint, Name: v.name, Path: v.name + d.redact.path(p),
				Detail: fmt.Sprintf("holds request data from %s (%s) after the invocation returned; the next request can read it",
					t.From, d.redact.text("string", t.Value))})
		}
		return true
	})
	return out
}

func (d *detector) describe(c snapshot.Change) string {
	switch c.Op {
	case snapshot.Added:
		return "added " + d.redact.value(c.New)
	case snapshot.Removed:
		return "removed " + d.redact.value(c.Old)
	}
	return "changed from " + d.redact.value(c.Old) + " to " + d.redact.value(c.New)
}

func (d *detector) takeProc() *procstate.State {
	d.procMu.Lock()
	defer d.procMu.Unlock()
	return procstate.Take(procstate.Options{TempBase: d.base})
}

func (d *detector) diffProc(w *watchInv, taints []taint.T) []Finding {
	after := d.takeProc()
	var out []Finding
	for _, err := range append(w.proc.Errors, after.Errors...) {
		out = append(out, Finding{Kind: KindDetector, Name: "process state", Detail: err.Error()})
	}
	var peers map[string]string
	for _, c := range procstate.Diff(w.proc, after, d.ignoreEnv) {
		switch c.What {
		case "env":
			f := Finding{Kind: KindEnv, Name: c.Name}
			switch c.Op {
			case "set":
				f.Detail = "set to " + d.redact.text("string", c.New)
			case "unset":
				f.Detail = "unset (was " + d.redact.text("string", c.Old) + ")"
			default:
				f.Detail = "changed from " + d.redact.text("string", c.Old) + " to " + d.redact.text("string", c.New)
			}
			out = append(out, f)
			if t, ok := taint.Find(c.New, taints); ok {
				out = append(out, Finding{Kind: KindTaint, Name: c.Name, Path: "env " + c.Name,
					Detail: fmt.Sprintf("holds request data from %s (%s): the environment is process-wide", t.From, d.redact.text("string", t.Value))})
			}
		case "cwd":
			out = append(out, Finding{Kind: KindCwd, Name: "cwd", Detail: "changed from " + c.Old + " to " + c.New + ": the working directory is process-wide"})
		case "fd":
			if d.cfg.ignoreFD(c.New) || d.otherGuardDir(c.New, w.ownDir) {
				continue
			}
			detail := "left open: " + c.New
			if strings.HasPrefix(c.New, "socket:[") {
				if peers == nil {
					d.procMu.Lock()
					peers = procstate.SocketPeers()
					d.procMu.Unlock()
				}
				if p := peers[c.New]; p != "" {
					if d.runtimeAPI(p) {
						continue
					}
					detail = "left open: TCP connection to " + p + " (a connection opened per request dies during the freeze; share it on purpose or close it)"
				}
			}
			out = append(out, Finding{Kind: KindFD, Name: "fd " + c.Name, Detail: detail})
		case "temp":
			if tmpfs.IsDirName(c.Name) {
				continue // another invocation's own directory
			}
			p := filepath.Join(d.base, c.Name)
			out = append(out, Finding{Kind: KindTempFile, Name: c.Name, Path: p,
				Detail: c.Op + " under " + d.base + " outside the invocation's directory; it outlives the invocation (use guard.TempDir)"})
			if t, ok := d.taintedFile(p, taints); ok {
				out = append(out, Finding{Kind: KindTaint, Name: c.Name, Path: p,
					Detail: fmt.Sprintf("holds request data from %s (%s)", t.From, d.redact.text("string", t.Value))})
			}
		}
	}
	return out
}

// otherGuardDir reports whether target is in (or is) the temp directory of
// another invocation: its lock, its os.Root, a file its handler has open
// right now. That invocation checks its own descriptors when it ends.
// Descriptors still open in this invocation's own directory are reported.
func (d *detector) otherGuardDir(target, own string) bool {
	target = strings.TrimSuffix(target, " (deleted)")
	if own != "" && (target == own || strings.HasPrefix(target, own+string(filepath.Separator))) {
		return false
	}
	rel, err := filepath.Rel(d.base, target)
	if err != nil {
		return false
	}
	top, _, _ := strings.Cut(rel, string(filepath.Separator))
	return tmpfs.IsDirName(top)
}

// runtimeAPI reports whether addr is the Lambda Runtime API, whose
// connections aws-lambda-go opens for itself.
func (d *detector) runtimeAPI(addr string) bool {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	return api != "" && (addr == api || strings.Replace(addr, "[::ffff:", "", 1) == api)
}

func (d *detector) ignoreEnv(name string) bool {
	return name == "_X_AMZN_TRACE_ID" || slices.Contains(d.cfg.ignoreEnv, name)
}

// taintedFile looks for request strings in a stray file's name and its
// first megabyte. It does not follow symlinks.
func (d *detector) taintedFile(p string, taints []taint.T) (taint.T, bool) {
	if t, ok := taint.Find(filepath.Base(p), taints); ok {
		return t, true
	}
	d.procMu.Lock()
	defer d.procMu.Unlock()
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		return taint.T{}, false
	}
	f, err := os.Open(p)
	if err != nil {
		return taint.T{}, false
	}
	defer f.Close()
	buf := make([]byte, maxStrayRead)
	n, _ := f.Read(buf)
	return taint.Find(string(buf[:n]), taints)
}

func detectorFinding(stage string, r any) Finding {
	return Finding{Kind: KindDetector, Name: "detector", Detail: fmt.Sprintf("%s: recovered from %v; the handler's result is unaffected", stage, r)}
}

// deliver scrubs the findings and hands the report to the reporter.
func (d *detector) deliver(w *watchInv, findings []Finding, taints []taint.T, overlap []string) {
	if len(findings) == 0 {
		return
	}
	defer func() { _ = recover() }() // a reporter's panic is not the handler's
	sort.Strings(overlap)
	secrets := taint.Values(taints)
	for i := range findings {
		f := &findings[i]
		f.Name = d.redact.scrub(f.Name, secrets)
		f.Path = d.redact.scrub(f.Path, secrets)
		f.Detail = d.redact.scrub(f.Detail, secrets)
		if len(overlap) > 0 && f.Kind != KindGoroutine && f.Kind != KindTaint && f.Kind != KindDetector {
			f.InFlight = append([]string{w.id}, overlap...)
		}
	}
	d.report(Report{InvocationID: w.id, Findings: findings})
}

func (d *detector) report(r Report) {
	if d.cfg.reporter != nil {
		d.cfg.reporter(r)
		return
	}
	writeReport(os.Stderr, r)
}
