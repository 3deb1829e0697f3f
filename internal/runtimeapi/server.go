package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Server is the Lambda Runtime API (2018-06-01) on a loopback port, plus the Extensions API
// calls aws-lambda-go makes. Like httptest.Server it serves from NewServer until Close.
//
// Invocations are queued by Invoke and handed, in order, to whichever runtime request
// GET .../invocation/next is waiting; the runtime decides how many it takes at once. The
// Server itself starts no process: see Function for that.
type Server struct {
	cfg    Config
	ln     net.Listener
	http   *http.Server
	served chan struct{}
	active sync.WaitGroup // running handlers, so Close leaves no goroutine behind

	mu        sync.Mutex
	queue     []*call
	inflight  map[string]*call
	wake      chan struct{} // closed and replaced when the queue grows or the server closes
	gen       int           // process generation, bumped by processEnded
	pid       int           // process of the current generation, for Result.PID
	delivered int           // invocations delivered in the current generation
	polling   int           // GET .../next requests waiting
	polled    chan struct{} // closed and replaced when polling grows
	ready     bool          // the current generation has asked for an invocation
	dead      bool          // the current generation is being killed: it gets no invocation
	initErr   *FunctionError
	exts      map[string]extension
	shutdown  chan struct{} // closed by beginShutdown: SHUTDOWN events for the current generation's extensions
	closed    bool

	shutdownReason string        // sent with SHUTDOWN
	started        time.Time     // when the current generation's process started
	initDuration   time.Duration // from its start to its first GET .../next

	// Hooks for Function, called without s.mu held.
	onEnqueue   func()
	onTimeout   func(gen int)
	onInitError func(gen int)
}

// call is one queued or in-flight invocation.
type call struct {
	inv      Invocation
	id       string
	trace    string
	gen      int
	pid      int
	cold     bool
	initDur  time.Duration
	start    time.Time
	deadline time.Time
	timer    *time.Timer
	done     chan outcome // buffered; receives exactly once
	// abandoned is set, under s.mu, when the caller stopped waiting while the call was in
	// flight: it still runs to its end, and its outcome goes unread.
	abandoned bool
}

type outcome struct {
	res Result
	err error
}

// NewServer starts a Runtime API server on 127.0.0.1 on a free port for a function
// configured by cfg. The caller must Close it.
func NewServer(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: listen: %w", err)
	}
	s := &Server{
		cfg:      cfg.withDefaults(),
		ln:       ln,
		served:   make(chan struct{}),
		inflight: make(map[string]*call),
		wake:     make(chan struct{}),
		polled:   make(chan struct{}),
		exts:     make(map[string]extension),
		shutdown: make(chan struct{}),
	}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the server, "http://" + Addr().
func (s *Server) URL() string { return "http://" + s.Addr() }

// Invoke queues inv and waits until the runtime posts a response or an error, the
// invocation passes its deadline (a Result with a Sandbox.Timedout error), the process
// running it ends (Runtime.ExitError), ctx is done, or the Server closes. A function failure
// is a Result with Error set, not an error: the error is for the invocation not being run
// or not being waited for (ErrRequestTooLarge, ErrClosed, ctx.Err()). When ctx is done
// first, a queued invocation is withdrawn; one the runtime already has runs on to its
// response or deadline, as on Lambda, and its outcome is discarded.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	if len(inv.Payload) > MaxPayloadSize {
		return Result{}, fmt.Errorf("%w (got %d bytes)", ErrRequestTooLarge, len(inv.Payload))
	}
	c := &call{inv: inv, id: uuid.NewString(), done: make(chan outcome, 1)} // a random UUID, as Lambda's request ids are
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Result{}, ErrClosed
	}
	s.queue = append(s.queue, c)
	s.notifyLocked()
	hook := s.onEnqueue
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	select {
	case o := <-c.done:
		return o.res, o.err
	case <-ctx.Done():
		s.mu.Lock()
		s.dropLocked(c)
		s.mu.Unlock()
		select {
		case o := <-c.done: // resolved before it was dropped
			return o.res, o.err
		default:
			return Result{RequestID: c.id}, ctx.Err()
		}
	}
}

// Close fails every queued and in-flight invocation with ErrClosed, stops the server and
// waits for its handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, c := range s.queue {
		c.done <- outcome{err: ErrClosed}
	}
	s.queue = nil
	for _, c := range s.inflight {
		s.finishLocked(c, Result{}, ErrClosed)
	}
	s.notifyLocked()
	s.beginShutdownLocked("spindown")
	s.mu.Unlock()
	err := s.http.Close()
	<-s.served
	s.active.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// notifyLocked wakes every waiting GET .../next.
func (s *Server) notifyLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// deliverLocked moves the head of the queue in flight and arms its deadline.
func (s *Server) deliverLocked() *call {
	c := s.queue[0]
	s.queue = s.queue[1:]
	timeout := s.cfg.Timeout
	if c.inv.Timeout > 0 {
		timeout = c.inv.Timeout
	}
	c.gen, c.pid, c.cold = s.gen, s.pid, s.delivered == 0
	if c.cold {
		c.initDur = s.initDuration
	}
	s.delivered++
	c.start = time.Now()
	c.deadline = c.start.Add(timeout)
	c.trace = newTraceID(c.start)
	s.inflight[c.id] = c
	c.timer = time.AfterFunc(timeout, func() { s.expire(c, timeout) })
	return c
}

// requeue puts back an invocation whose delivery failed (the runtime went away).
func (s *Server) requeue(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[c.id] != c || s.closed {
		return
	}
	delete(s.inflight, c.id)
	c.timer.Stop()
	s.delivered--
	if c.abandoned {
		return // its caller is gone
	}
	s.queue = append([]*call{c}, s.queue...)
	s.notifyLocked()
}

// finishLocked resolves an in-flight invocation.
func (s *Server) finishLocked(c *call, r Result, err error) {
	delete(s.inflight, c.id)
	if c.timer != nil {
		c.timer.Stop()
	}
	r.RequestID, r.TraceID, r.ColdStart, r.PID, r.InitDuration = c.id, c.trace, c.cold, c.pid, c.initDur
	r.Duration = time.Since(c.start)
	c.done <- outcome{res: r, err: err}
}

// dropLocked forgets an invocation whose caller stopped waiting. A queued one leaves the
// queue. One in flight runs on, as on Lambda: it keeps its deadline, so a stuck handler is
// still killed, and the runtime's response is accepted (a 400 would make aws-lambda-go exit)
// and discarded.
func (s *Server) dropLocked(c *call) {
	if s.inflight[c.id] == c {
		c.abandoned = true
		return
	}
	for i, q := range s.queue {
		if q == c {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

func (s *Server) expire(c *call, timeout time.Duration) {
	s.mu.Lock()
	if s.inflight[c.id] != c {
		s.mu.Unlock()
		return
	}
	s.finishLocked(c, Result{Error: timeoutError(c.id, timeout)}, nil)
	if c.gen == s.gen {
		// The process is killed once s.mu is released: from now on what is queued waits for
		// the next one, not for another GET .../next of this one.
		s.dead = true
	}
	hook, gen := s.onTimeout, c.gen
	s.mu.Unlock()
	if hook != nil {
		hook(gen)
	}
}
