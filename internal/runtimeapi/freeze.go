package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// idleWait bounds how long Freeze waits for the runtime to ask for its next invocation.
const idleWait = time.Second

// Freeze stops the process with SIGSTOP, as Lambda freezes an environment between
// invocations. It first waits (up to a second) until the runtime is idle in
// GET .../invocation/next, which is when Lambda freezes. Timers, goroutines and the
// runtime's own clock stop with it; sockets stay open and their peers carry on. Without a
// running process Freeze does nothing.
func (f *Function) Freeze() error {
	ctx, cancel := context.WithTimeout(context.Background(), idleWait)
	f.srv.waitPolling(ctx)
	cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.proc
	if p == nil || p.frozen {
		return nil
	}
	if err := freezeGroup(p.pid); err != nil {
		return fmt.Errorf("runtimeapi: freeze: %w", err)
	}
	p.frozen = true
	return nil
}

// Thaw resumes a frozen process with SIGCONT.
func (f *Function) Thaw() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.proc
	if p == nil || !p.frozen {
		return nil
	}
	if err := thawGroup(p.pid); err != nil {
		return fmt.Errorf("runtimeapi: thaw: %w", err)
	}
	p.frozen = false
	return nil
}

// Close shuts the environment down the way Lambda does: a frozen process is thawed; if it
// registered an extension (lambda.WithEnableSIGTERM does) it gets SIGTERM and ShutdownGrace
// to run its hooks; then it is killed. Close returns once the process is reaped, its output
// delivered to Config.Logs, the server closed and the TMPDIR Start made removed; invocations
// still waiting get ErrClosed.
func (f *Function) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	p := f.proc
	if p != nil && p.frozen {
		_ = thawGroup(p.pid)
		p.frozen = false
	}
	f.mu.Unlock()
	if p != nil {
		f.srv.beginShutdown(p.gen, "spindown")
		f.shutDown(p, f.srv.extensionsRegistered(p.gen))
	}
	err := f.srv.Close()
	if f.ownTmp != "" {
		err = errors.Join(err, os.RemoveAll(f.ownTmp))
	}
	return err
}
