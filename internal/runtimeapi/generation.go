package runtimeapi

import (
	"context"
	"time"
)

// The methods in this file let a Function tell its Server about the process behind the
// Runtime API. Each process is a generation: invocations delivered to it fail when it ends,
// and registered extensions and init errors belong to it.

// beginProcess records the process id of the generation about to start, and when it was
// started, from which its init duration is measured.
func (s *Server) beginProcess(pid int, started time.Time) (gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pid = pid
	s.started = started
	return s.gen
}

// processEnded fails the invocations delivered to the current process with
// Runtime.ExitError, and, when the process ended before it asked for its first invocation
// (an init failure), the queued ones too, with the error it posted to /runtime/init/error if
// any. It then starts a new generation.
func (s *Server) processEnded(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	initDone := s.ready
	for _, c := range s.inflight {
		if c.gen == s.gen {
			s.finishLocked(c, Result{Error: exitError(c.id, status)}, nil)
		}
	}
	if !initDone {
		for _, c := range s.queue {
			fe := s.initErr
			if fe == nil {
				fe = exitError(c.id, status)
			}
			c.done <- outcome{res: Result{RequestID: c.id, Error: fe, InitFailed: true}}
		}
		s.queue = nil
	}
	s.gen++
	s.ready, s.dead, s.initErr, s.delivered, s.pid = false, false, nil, 0, 0
	s.started, s.initDuration = time.Time{}, 0
	clear(s.exts)
	s.beginShutdownLocked("spindown") // an extension of the ended process still waiting
	s.shutdown, s.shutdownReason = make(chan struct{}), ""
}

// abandonInit is for a generation past its init timeout: unless it has asked for an
// invocation meanwhile, it is marked dead (it gets none from now on, as it is about to be
// killed) and abandonInit reports true.
func (s *Server) abandonInit(gen int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen || s.ready {
		return false
	}
	s.dead = true
	return true
}

// queued reports the number of invocations waiting for a runtime.
func (s *Server) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// failQueued fails every queued invocation with err.
func (s *Server) failQueued(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.queue {
		c.done <- outcome{res: Result{RequestID: c.id}, err: err}
	}
	s.queue = nil
}

// waitPolling waits until at least one GET .../next is waiting (the runtime is idle, which
// is when Lambda freezes it) or ctx is done.
func (s *Server) waitPolling(ctx context.Context) {
	for {
		s.mu.Lock()
		n, polled := s.polling, s.polled
		s.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-polled:
		case <-ctx.Done():
			return
		}
	}
}
