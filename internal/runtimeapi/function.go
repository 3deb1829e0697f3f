package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Function is one Lambda execution environment for a compiled bootstrap: a process started
// on demand with Lambda's environment and its own Server. An invocation that finds no
// process starts one (a cold start); the process then serves the following invocations
// (warm starts) until it exits or is killed, and the next invocation starts a new one.
//
// A Function is safe for concurrent use. Close must be called to stop the process and the
// server.
type Function struct {
	path string
	cfg  Config
	srv  *Server

	ownTmp string // the TMPDIR Start made, removed by Close

	logMu sync.Mutex // serializes cfg.Logs

	mu         sync.Mutex
	proc       *process
	recent     []*process // the last processes started, for Invoke to find the one that ran a call
	closed     bool
	lastStatus string // how the latest process ended, as exec reports it
}

// recentProcesses bounds Function.recent.
const recentProcesses = 16

// process is one run of the bootstrap.
type process struct {
	cmd            *exec.Cmd
	pid            int
	gen            int
	stdout, stderr *pipeReader
	initTimer      *time.Timer
	exited         chan struct{} // closed once the process is reaped and its output read
	peakKB         int64         // peak resident set once reaped, set before exited is closed
	frozen         bool
	resetting      bool // a reset (timeout) is under way: SIGTERM sent, SIGKILL to follow
}

// Start prepares an execution environment for the bootstrap at path. No process runs until
// the first Invoke, as with Lambda's on-demand initialization.
func Start(path string, cfg Config) (*Function, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: bootstrap: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("runtimeapi: bootstrap %s is not an executable file", abs)
	}
	var ownTmp string
	if cfg.TempDir == "" {
		if ownTmp, err = os.MkdirTemp("", "lambda-tmp-"); err != nil {
			return nil, fmt.Errorf("runtimeapi: %w", err)
		}
		cfg.TempDir = ownTmp
	}
	srv, err := NewServer(cfg)
	if err != nil {
		if ownTmp != "" {
			_ = os.RemoveAll(ownTmp)
		}
		return nil, err
	}
	f := &Function{path: abs, cfg: srv.cfg, srv: srv, ownTmp: ownTmp}
	srv.onEnqueue = f.ensureProcess
	srv.onTimeout = f.resetGeneration
	srv.onInitError = f.killGeneration
	return f, nil
}

// Server is the Runtime API server the function's processes talk to.
func (f *Function) Server() *Server { return f.srv }

// Invoke sends one invocation, starting a process first if none is running, and waits for
// its result. See Server.Invoke for what is a failed Result and what is an error. After a
// timeout the process is reset (SIGTERM if it registered an extension, SIGKILL at the end of
// ShutdownGrace); after an init failure or a crash it is gone: either way the next
// invocation is a cold start.
//
// Before Invoke returns, every line the process wrote before it answered has been passed to
// Config.Logs, and Result.MaxMemoryKB holds the process's peak resident set.
func (f *Function) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	res, err := f.srv.Invoke(ctx, inv)
	if err == nil && res.PID != 0 {
		f.settle(&res)
	}
	return res, err
}

// settle catches up with the output of the process that ran res and measures its memory:
// while it lives, from /proc (VmHWM); once it has ended, from its rusage. After a timeout
// it also waits for the reset to end, as Lambda's emulator answers a timed-out invocation
// once the environment is reset: what the shutdown hooks print belongs to this invocation.
func (f *Function) settle(res *Result) {
	f.mu.Lock()
	var p *process
	for _, q := range f.recent {
		if q.pid == res.PID {
			p = q
		}
	}
	f.mu.Unlock()
	if p == nil {
		return
	}
	p.stdout.sync()
	p.stderr.sync()
	select {
	case <-p.exited:
	default:
		if kb, ok := peakRSS(p.pid); ok {
			res.MaxMemoryKB = kb
			if !res.TimedOut() {
				return
			}
		}
	}
	// It is ending: a crash's result arrives just before its process is reaped, a timeout's
	// as its reset begins.
	t := time.NewTimer(ShutdownGrace + 2*time.Second)
	defer t.Stop()
	select {
	case <-p.exited:
		if res.MaxMemoryKB == 0 {
			res.MaxMemoryKB = p.peakKB
		}
	case <-t.C:
	}
}

// PID is the process id of the running bootstrap, or 0 when none runs.
func (f *Function) PID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc == nil {
		return 0
	}
	return f.proc.pid
}

// ensureProcess starts a process when there is none; a failure to start fails the queue
// with an error that wraps ErrStart.
func (f *Function) ensureProcess() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc != nil || f.closed {
		return
	}
	if err := f.startLocked(); err != nil {
		f.srv.failQueued(err)
	}
}

func (f *Function) startLocked() error {
	p := &process{exited: make(chan struct{})}
	started := time.Now()
	cmd := exec.Command(f.path)
	cmd.Dir = filepath.Dir(f.path)
	cmd.Env = f.cfg.Environ(f.srv.Addr(), f.path)
	setProcessGroup(cmd)
	// Our own pipes rather than exec.Cmd's copies: Invoke catches up with them (see
	// pipeReader).
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrStart, f.path, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_, _ = outR.Close(), outW.Close()
		return fmt.Errorf("%w %s: %w", ErrStart, f.path, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	_, _ = outW.Close(), errW.Close() // the child has its copies
	if err == nil {
		p.pid = cmd.Process.Pid
		pid := func() int { return p.pid }
		p.stdout, err = newPipeReader(outR, &lineWriter{stream: "stdout", pid: pid, emit: f.emit})
		if err == nil {
			p.stderr, err = newPipeReader(errR, &lineWriter{stream: "stderr", pid: pid, emit: f.emit})
		}
		if err != nil {
			_ = killGroup(p.pid)
			_ = cmd.Wait()
		}
	}
	if err != nil {
		_, _ = outR.Close(), errR.Close()
		return fmt.Errorf("%w %s: %w", ErrStart, f.path, err)
	}
	go p.stdout.run()
	go p.stderr.run()
	p.cmd = cmd
	p.gen = f.srv.beginProcess(p.pid, started)
	f.proc = p
	f.recent = append(f.recent, p)
	if len(f.recent) > recentProcesses {
		f.recent = f.recent[1:]
	}
	p.initTimer = time.AfterFunc(f.cfg.InitTimeout, func() {
		if f.srv.abandonInit(p.gen) {
			f.killGeneration(p.gen)
		}
	})
	go f.wait(p)
	return nil
}

// ExitStatus says how the latest process of the function ended ("exit status 0",
// "signal: killed"), "" while none has. After Close, it tells a process that exited on its
// own at SIGTERM from one killed at the end of the shutdown grace.
func (f *Function) ExitStatus() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastStatus
}

// wait reaps p, fails what it was running and, if invocations are waiting, starts the next
// process.
func (f *Function) wait(p *process) {
	err := p.cmd.Wait()
	p.initTimer.Stop()
	_ = killGroup(p.pid) // what the bootstrap started goes with it, as the sandbox does on Lambda
	p.drain()
	if p.cmd.ProcessState != nil {
		p.peakKB = exitedPeakRSS(p.cmd.ProcessState)
	}
	status := "exit status 0"
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.String()
		} else {
			status = err.Error()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc == p {
		f.proc = nil
	}
	f.lastStatus = status
	f.srv.processEnded(status)
	close(p.exited)
	if !f.closed && f.srv.queued() > 0 {
		if err := f.startLocked(); err != nil {
			f.srv.failQueued(err)
		}
	}
}

// killGeneration kills the process of generation gen if it still runs.
func (f *Function) killGeneration(gen int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc != nil && f.proc.gen == gen {
		_ = killGroup(f.proc.pid)
	}
}

// resetGeneration ends the process of generation gen the way Lambda resets an execution
// environment after a timeout: extensions subscribed to SHUTDOWN get it (reason "timeout");
// a process that registered an extension (lambda.WithEnableSIGTERM does) gets SIGTERM and
// ShutdownGrace to run its hooks; then the process group is killed.
func (f *Function) resetGeneration(gen int) {
	f.mu.Lock()
	p := f.proc
	if p == nil || p.gen != gen || p.resetting {
		f.mu.Unlock()
		return
	}
	p.resetting = true
	if p.frozen {
		_ = thawGroup(p.pid)
		p.frozen = false
	}
	f.mu.Unlock()
	f.srv.beginShutdown(gen, "timeout")
	f.shutDown(p, f.srv.extensionsRegistered(gen))
}

// shutDown sends SIGTERM to p when it asked for it and waits up to ShutdownGrace for it to
// exit, then kills its process group and waits until it is reaped.
func (f *Function) shutDown(p *process, sigterm bool) {
	if sigterm {
		_ = terminate(p.pid)
		t := time.NewTimer(ShutdownGrace)
		select {
		case <-p.exited:
		case <-t.C:
		}
		t.Stop()
	}
	select {
	case <-p.exited:
	default:
		_ = killGroup(p.pid)
		<-p.exited
	}
}

// drain waits, briefly, for the process's output to reach its end, then closes the pipes:
// a grandchild that escaped the process group must not hold the output open.
func (p *process) drain() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for _, r := range []*pipeReader{p.stdout, p.stderr} {
		select {
		case <-r.done:
		case <-t.C:
		}
	}
	for _, r := range []*pipeReader{p.stdout, p.stderr} {
		_ = r.f.Close() // ends a run still reading
		<-r.done
	}
}

func (f *Function) emit(l Line) {
	if f.cfg.Logs == nil {
		return
	}
	f.logMu.Lock()
	defer f.logMu.Unlock()
	f.cfg.Logs(l)
}
