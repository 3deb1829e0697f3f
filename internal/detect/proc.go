package detect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/lambdaguard/lambdaguard/internal/goroutines"
	"github.com/lambdaguard/lambdaguard/internal/procstate"
	"github.com/lambdaguard/lambdaguard/internal/snapshot"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// maxStrayRead is how much of a stray file is read to look for request data.
const maxStrayRead = 1 << 20

func pprofRestore(ctx context.Context) { pprof.SetGoroutineLabels(ctx) }

// openFDs lists the process's open descriptors.
func openFDs() map[int]string {
	return procstate.Take(procstate.Options{NoEnv: true}).FDs
}

// listTemp lists the entries directly under base.
func listTemp(base string) map[string]procstate.Entry {
	return procstate.Take(procstate.Options{TempBase: base, NoFDs: true, NoEnv: true}).Temp
}

// env is the environment and working directory as the latest check saw
// them: process-wide, like what they record, and guarded by its mutex.
var env struct {
	mu     sync.Mutex
	state  *procstate.State
	period uint64
}

// baselineEnv records the environment at the first checked invocation of a
// period: what main or a test set between invocations is not blamed on the
// next one.
func (d *Detector) baselineEnv() {
	n := mon.current()
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.state == nil || env.period != n {
		env.state, env.period = procstate.Take(procstate.Options{NoFDs: true}), n
	}
}

// checkEnv reports what changed in the environment and the working
// directory since the latest check, once.
func (d *Detector) checkEnv() []Finding {
	env.mu.Lock()
	before := env.state
	now := procstate.Take(procstate.Options{NoFDs: true})
	env.state = now
	env.mu.Unlock()
	if before == nil {
		return nil
	}
	var out []Finding
	for _, err := range now.Errors {
		out = append(out, Finding{Kind: KindDetector, Name: "process state", Detail: err.Error()})
	}
	invs := mon.recent()
	for _, c := range procstate.Diff(before, now, d.ignoreEnv) {
		switch c.What {
		case procstate.Env:
			name := d.scrubData(c.Name)
			f := Finding{Kind: KindEnv, Name: name}
			switch c.Op {
			case procstate.Set:
				f.Detail = "set to " + d.red.text("string", c.New)
			case procstate.Unset:
				f.Detail = "unset (was " + d.red.text("string", c.Old) + ")"
			default:
				f.Detail = "changed from " + d.red.text("string", c.Old) + " to " + d.red.text("string", c.New)
			}
			out = append(out, f)
			if id, t, ok := findTaint(c.New, invs); ok {
				out = append(out, Finding{Kind: KindTaint, Name: name, Path: "env " + name,
					Detail: fmt.Sprintf("holds request data of %s from %s (%s): the environment is process-wide", id, d.red.where(t), d.red.text("string", t.Value))})
			}
		case procstate.Cwd:
			out = append(out, Finding{Kind: KindCwd, Name: "cwd", Detail: "changed from " + d.scrubData(c.Old) +
				" to " + d.scrubData(c.New) + ": the working directory is process-wide"})
		}
	}
	return out
}

func (d *Detector) ignoreEnv(name string) bool {
	// aws-lambda-go sets the trace header per request, process-wide.
	return name == "_X_AMZN_TRACE_ID" || contains(d.cfg.IgnoreEnv, name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// startPeriod records what the period starts from. No handler runs: the
// monitor holds back the invocations that begin meanwhile.
func (d *Detector) startPeriod(p *period) []Finding {
	st := procstate.Take(procstate.Options{TempBase: d.base})
	p.fds, p.temp[d.base] = st.FDs, st.Temp
	env.mu.Lock()
	env.state, env.period = &procstate.State{Env: st.Env, Cwd: st.Cwd}, p.n
	env.mu.Unlock()
	_, unguarded, _ := checked()
	if len(unguarded) == 0 {
		return nil
	}
	if d.cfg.Sample < 1 {
		return noteAll(unguarded, "debug mode checks a sample of the invocations, and a goroutine left by one that was not checked could be writing it")
	}
	if gs := d.labelled(true); len(gs) > 0 {
		return noteAll(unguarded, leftRunning(gs))
	}
	p.vars = unguarded
	p.base = make([]*snapshot.Snapshot, len(unguarded))
	for i, v := range unguarded {
		p.base[i] = walk.Load().take(v.ptr, snapshotLimits)
	}
	return nil
}

// joinPeriod records the entries of this detector's temp base when the
// period started under another detector with another base.
func (d *Detector) joinPeriod(p *period) {
	mon.mu.Lock()
	_, ok := p.temp[d.base]
	mon.mu.Unlock()
	if ok {
		return
	}
	t := listTemp(d.base)
	mon.mu.Lock()
	if _, ok := p.temp[d.base]; !ok {
		p.temp[d.base] = t
	}
	mon.mu.Unlock()
}

// endPeriod checks what the period's invocations left: descriptors, entries
// under the temp bases, variables without a lock of their own. No handler
// runs; the monitor holds back the invocations that begin meanwhile.
//
// With fresh, labelled is what a look at the goroutines found a moment ago
// when no other invocation ran in the period, and stands for a new look.
func (d *Detector) endPeriod(p *period, labelled []goroutines.Group, fresh bool) []Finding {
	var out []Finding
	ids := p.ids
	if p.unsampled > 0 {
		ids = append(ids[:len(ids):len(ids)], fmt.Sprintf("(%d not sampled)", p.unsampled))
	}
	inFlight := inFlightIDs(ids)
	// Only what is found needs the request strings. A period too long to
	// remember every invocation's has the names it finds redacted whole.
	secrets := sync.OnceValue(func() []string { return mon.secrets(true) })
	scrubName := func(s string) string {
		if p.overflow {
			return "<" + d.red.text("name", s) + ">"
		}
		return d.red.scrub(s, secrets(), true)
	}
	invs := mon.recent()

	now := procstate.Take(procstate.Options{NoEnv: true, TempBase: d.base})
	var socks map[string]procstate.Socket
	for _, c := range procstate.Diff(&procstate.State{FDs: p.fds}, &procstate.State{FDs: now.FDs}, nil) {
		if c.What != procstate.FD || d.ownedElsewhere(c.New) {
			continue
		}
		detail := "left open: " + scrubName(c.New)
		if strings.HasPrefix(c.New, "socket:[") {
			if socks == nil {
				socks = procstate.Sockets()
			}
			if procstate.ServerSide(c.New, socks, now.FDs) {
				continue // accepted by a server of this process: the server's, not a handler's
			}
			if s, ok := socks[c.New]; ok && s.Remote != "" {
				if runtimeAPI(s.Remote) {
					continue
				}
				detail = "left open: TCP connection to " + scrubName(s.Remote) + " (a connection opened per request dies during the freeze; share it on purpose or close it)"
			}
		}
		out = append(out, Finding{Kind: KindFD, Name: "fd " + c.Name, Detail: detail, InFlight: inFlight})
	}
	mon.pruneFlushSockets(now.FDs)

	for base, before := range p.temp {
		after := now.Temp
		if base != d.base {
			after = listTemp(base)
		}
		for _, c := range procstate.Diff(&procstate.State{Temp: before}, &procstate.State{Temp: after}, nil) {
			if c.What != procstate.Temp {
				continue
			}
			path := filepath.Join(base, c.Name)
			name := scrubName(c.Name)
			out = append(out, Finding{Kind: KindTempFile, Name: name, Path: filepath.Join(base, name), InFlight: inFlight,
				Detail: string(c.Op) + " under " + base + " outside an invocation's directory; it outlives the invocation (use guard.TempDir)"})
			if id, t, ok := taintedFile(path, invs); ok {
				out = append(out, Finding{Kind: KindTaint, Name: name, Path: filepath.Join(base, name),
					Detail: fmt.Sprintf("holds request data of %s from %s (%s)", id, d.red.where(t), d.red.text("string", t.Value))})
			}
		}
	}

	if len(p.vars) > 0 {
		gs := labelled
		if !fresh {
			gs = d.labelled(true)
		}
		if len(gs) > 0 {
			out = append(out, noteAll(p.vars, leftRunning(gs))...)
		} else {
			for i, v := range p.vars {
				w := walk.Load()
				out = append(out, w.diff(d, v, p.base[i], w.take(v.ptr, snapshotLimits), ids)...)
				v.check.Lock()
				v.noted = false
				v.check.Unlock()
			}
		}
	}
	return out
}

// neverQuiet names, once per period, the variables a period that never
// ends cannot check.
func (d *Detector) neverQuiet(p *period) []Finding {
	mon.mu.Lock()
	due := p.checked && len(p.vars) > 0 && p.count >= neverQuietAfter && !p.noted
	if due {
		p.noted = true
	}
	n := p.count
	mon.mu.Unlock()
	if !due {
		return nil
	}
	return noteAll(p.vars, fmt.Sprintf("the process has not been quiet for %d invocations (one was always running), and it is read only when no handler runs", n))
}

// ownedElsewhere reports whether the descriptor target belongs to something
// that outlives invocations on purpose.
func (d *Detector) ownedElsewhere(target string) bool {
	return (d.cfg.IgnoreFD != nil && d.cfg.IgnoreFD(target)) || mon.flushSocket(target)
}

// leftRunning describes the goroutines gs for a finding.
func leftRunning(gs []goroutines.Group) string {
	if gs[0].Label == goroutines.Unseen {
		return "goroutines cannot be traced to invocations (" + gs[0].Where + "), and reading it while one may write it could crash the process"
	}
	id, _, _ := strings.Cut(gs[0].Label, "#")
	return fmt.Sprintf("%d goroutine(s) left by earlier invocations still run (%s, started by %s), and reading it while one may write it could crash the process",
		len(gs), gs[0].Entry, id)
}

func noteAll(vs []*Var, reason string) []Finding {
	var out []Finding
	for _, v := range vs {
		if f, ok := noteOne(v, reason); ok {
			out = append(out, f)
		}
	}
	return out
}

// noteOne returns a finding saying that v could not be checked, once until
// it is checked again.
func noteOne(v *Var, reason string) (Finding, bool) {
	v.check.Lock()
	defer v.check.Unlock()
	if v.noted {
		return Finding{}, false
	}
	v.noted = true
	return Finding{Kind: KindDetector, Name: v.name,
		Detail: "not checked: " + reason + "; declare the lock that protects it with guard.GuardedBy to have it checked at every invocation's end"}, true
}

// runtimeAPI reports whether addr is the Lambda Runtime API, whose
// connections aws-lambda-go opens for itself.
func runtimeAPI(addr string) bool {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	return api != "" && (addr == api || strings.Replace(addr, "[::ffff:", "", 1) == api)
}

// taintedFile looks for request strings in a stray file's name and its
// first megabyte. It does not follow symlinks.
func taintedFile(p string, invs []*Inv) (string, taint.T, bool) {
	if id, t, ok := findTaint(filepath.Base(p), invs); ok {
		return id, t, true
	}
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		return "", taint.T{}, false
	}
	f, err := os.Open(p)
	if err != nil {
		return "", taint.T{}, false
	}
	defer f.Close()
	buf := make([]byte, maxStrayRead)
	n, _ := f.Read(buf)
	return findTaint(string(buf[:n]), invs)
}
