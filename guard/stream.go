package guard

import (
	"io"
	"sync"
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

	mu    sync.Mutex
	timer *time.Timer // cuts the body at the start of the cleanup reserve
}

// Read reads the handler's body; its end or failure closes the invocation.
func (s *stream) Read(p []byte) (int, error) {
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
		if c, ok := s.body.(io.Closer); ok {
			_ = c.Close() // a reader blocked on it returns
		}
		s.finish()
	})
	return out, true
}
