package scope

import "context"

// Drain waits for the work started with Go until it has all returned or ctx
// is done, without closing the scope: it is the first half of Close, for a
// caller that gives background work less time than the cleanups (the guard
// drains until the handler's deadline, then closes with the time it kept in
// reserve).
//
// When ctx ends first, the scope's context is cancelled, Drain returns an
// error saying how many tasks were still running, and the work is given up
// on: a later Close does not wait for it again, so its cleanups get the whole
// of Close's context. The work's own error, if it returns one, still goes to
// Close's result when it returns before Close collects it.
func (s *Scope) Drain(ctx context.Context) error {
	if s == nil {
		return ErrNoScope
	}
	err := s.wait(ctx)
	if err != nil {
		s.mu.Lock()
		s.abandoned = true
		s.mu.Unlock()
	}
	return err
}
