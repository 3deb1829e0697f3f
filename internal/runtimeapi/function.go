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
	closed     bool
	lastStatus string // how the latest process ended, as exec reports it
}

// process is one run of the bootstrap.
type process struct {
	cmd            *exec.Cmd
	pid            int
	gen            int
	stdout, stderr *lineWriter
	initTimer      *time.Timer
	exited         chan struct{} // closed once the process is reaped and its output read
	frozen         bool
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
	srv.onTimeout = f.killGeneration
	srv.onInitError = f.killGeneration
	return f, nil
}

// Server is the Runtime API server the function's processes talk to.
func (f *Function) Server() *Server { return f.srv }

// Invoke sends one invocation, starting a process first if none is running, and waits for
// its result. See Server.Invoke for what is a failed Result and what is an error. After a
// timeout the process is killed; after an init failure or a crash it is gone: either way the
// next invocation is a cold start.
func (f *Function) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	return f.srv.Invoke(ctx, inv)
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
	pid := func() int { return p.pid }
	p.stdout = &lineWriter{stream: "stdout", pid: pid, emit: f.emit}
	p.stderr = &lineWriter{stream: "stderr", pid: pid, emit: f.emit}
	cmd := exec.Command(f.path)
	cmd.Dir = filepath.Dir(f.path)
	cmd.Env = f.cfg.Environ(f.srv.Addr(), f.path)
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.WaitDelay = time.Second // a child that keeps the pipes open must not hold us
	setProcessGroup(cmd)
	// The pid is read by the output writers, which start with the process: hold their lock.
	p.stdout.mu.Lock()
	p.stderr.mu.Lock()
	err := cmd.Start()
	if err == nil {
		p.pid = cmd.Process.Pid
	}
	p.stderr.mu.Unlock()
	p.stdout.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrStart, f.path, err)
	}
	p.cmd = cmd
	p.gen = f.srv.beginProcess(p.pid)
	f.proc = p
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
	p.stdout.flush()
	p.stderr.flush()
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

func (f *Function) emit(l Line) {
	if f.cfg.Logs == nil {
		return
	}
	f.logMu.Lock()
	defer f.logMu.Unlock()
	f.cfg.Logs(l)
}
