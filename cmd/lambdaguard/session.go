package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/events"
	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/report"
	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

// errInit stops a run whose function cannot initialize: every invocation would fail alike.
var errInit = errors.New("the function failed during init (its output is above)")

// session sends a run's invocations to the function.
type session struct {
	fn    *runtimeapi.Function
	opts  runOptions
	p     *printer
	cross crosstalk
}

// job is one invocation to send.
type job struct {
	n, total int
	ev       events.Event
}

func (j job) label() string { return fmt.Sprintf("invocation %d/%d (%s)", j.n, j.total, j.ev.Source) }

// run sends the events, repeated, in rounds of --concurrency, freezing the process between
// rounds when asked. It stops early at an init or start failure or when ctx is done.
func (s *session) run(ctx context.Context, evs []events.Event) error {
	var jobs []job
	total := len(evs) * s.opts.repeat
	for r := range s.opts.repeat {
		for i, ev := range evs {
			jobs = append(jobs, job{n: r*len(evs) + i + 1, total: total, ev: ev})
		}
	}
	for start := 0; start < len(jobs); start += s.opts.concurrency {
		if start > 0 && s.opts.freeze > 0 {
			if err := s.freeze(ctx); err != nil {
				return err
			}
		}
		round := jobs[start:min(start+s.opts.concurrency, len(jobs))]
		var stop error // the first init or start failure of the round
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, j := range round {
			wg.Go(func() {
				if err := s.invoke(ctx, j); err != nil {
					mu.Lock()
					if stop == nil {
						stop = err
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if stop != nil {
			return stop
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// invoke sends one event and prints how it ended. It returns an error when the run cannot
// go on: errInit when the function failed its init, the start error (which wraps
// runtimeapi.ErrStart) when its process could not be started.
func (s *session) invoke(ctx context.Context, j job) error {
	s.p.start(j)
	res, err := s.fn.Invoke(ctx, runtimeapi.Invocation{Payload: j.ev.Payload})
	s.p.result(j, res, err)
	if err == nil && res.Error == nil && s.opts.debug {
		fromRunner := 0
		if f, ok := s.cross.check(j, res.RequestID, res.Payload); ok {
			s.p.reports.Add(report.Report{InvocationID: res.RequestID, Findings: []report.Finding{f}})
			fromRunner = 1
		}
		s.p.findings(res.RequestID, fromRunner)
	}
	switch {
	case errors.Is(err, runtimeapi.ErrStart):
		return fmt.Errorf("the function could not be started: %w", err)
	case err == nil && res.InitFailed:
		return errInit
	}
	return nil
}

func (s *session) freeze(ctx context.Context) error {
	if err := s.fn.Freeze(); err != nil {
		return err
	}
	s.p.note(fmt.Sprintf("frozen (SIGSTOP) for %s", s.opts.freeze))
	t := time.NewTimer(s.opts.freeze)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	if err := s.fn.Thaw(); err != nil {
		return err
	}
	s.p.note("thawed (SIGCONT)")
	return ctx.Err()
}
