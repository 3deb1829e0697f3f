package guard

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// A handler's result that is a reader, or holds one, is read by
// aws-lambda-go after the handler has returned: it streams it to the caller
// (a function URL in RESPONSE_STREAM mode, or any handler that returns an
// io.Reader). The invocation must stay open until then — its scope values,
// its background work (a producer writing the other end of an io.Pipe), its
// temp directory (a file being sent) — and close as soon as the body has
// been read to its end, has failed, or is closed.
//
// stream is the body the guard hands back in place of the handler's: it
// closes the invocation once, at the first of those, or at the start of the
// cleanup reserve if nobody reads it by then.
type stream struct {
	body io.Reader
	once sync.Once
	end  func()
	cut  atomic.Bool // the start of the cleanup reserve came first

	mu    sync.Mutex
	timer *time.Timer // cuts the body at the start of the cleanup reserve
}

// errStreamCut is what a streamed body reads once it was cut.
var errStreamCut = errors.New("guard: the streamed body was cut at the start of the cleanup reserve")

// Read reads the handler's body; its end or failure closes the invocation.
func (s *stream) Read(p []byte) (int, error) {
	if s.cut.Load() {
		return 0, errStreamCut
	}
	n, err := s.body.Read(p)
	if err != nil {
		s.finish()
	}
	return n, err
}

// Close closes the handler's body, if it can be closed, then the invocation.
func (s *stream) Close() error {
	var err error
	if c, ok := s.body.(io.Closer); ok {
		err = c.Close()
	}
	s.finish()
	return err
}

// ContentType passes on the content type of a body that has one, as
// aws-lambda-go looks for it.
func (s *stream) ContentType() string {
	if ct, ok := s.body.(interface{ ContentType() string }); ok {
		return ct.ContentType()
	}
	return "application/octet-stream"
}

func (s *stream) finish() {
	s.once.Do(func() {
		s.mu.Lock()
		t := s.timer
		s.mu.Unlock()
		if t != nil {
			t.Stop()
		}
		s.end()
	})
}

// isReader reports whether a result is a reader aws-lambda-go streams. It
// keeps nothing of res, so that checking costs no allocation.
func isReader(res any) bool {
	r, ok := res.(io.Reader)
	return ok && r != nil
}

// streamed returns the result to hand back when out is or holds a reader,
// with the invocation's end left to its body (end), and reports whether it
// is one. The body is cut (closed, the invocation ended) at by.
func streamed[T any](out T, by time.Time, end func()) (T, bool) {
	var s *stream
	switch v := any(out).(type) {
	case *events.LambdaFunctionURLStreamingResponse:
		if v == nil || v.Body == nil {
			return out, false
		}
		s = &stream{body: v.Body, end: end}
		v.Body = s
	case io.Reader:
		if v == nil {
			return out, false
		}
		s = &stream{body: v, end: end}
		w, ok := any(s).(T)
		if !ok {
			// A reader of a concrete type (an *os.File, say) cannot be
			// replaced: the invocation closes now, before it is read.
			return out, false
		}
		out = w
	default:
		return out, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = time.AfterFunc(time.Until(by), func() {
		s.cut.Store(true)
		if c, ok := closesWhileRead(s.body); ok {
			_ = c.Close() // a Read blocked on it returns
		}
		s.finish() // cancels the background work that feeds the body
	})
	return out, true
}

// closesWhileRead returns body as a Closer when its Close may be called while
// another goroutine is in its Read — a pipe, a file, a connection — and
// unblocks that Read. Other readers (a gzip.Reader around one, say) are not
// closed from the timer: their Read would race with it.
func closesWhileRead(body io.Reader) (io.Closer, bool) {
	switch b := body.(type) {
	case *io.PipeReader:
		return b, true
	case *os.File:
		return b, true
	case net.Conn:
		return b, true
	}
	return nil, false
}
