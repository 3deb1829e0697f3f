package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Runtime API headers, as aws-lambda-go names them.
const (
	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody       = "Lambda-Runtime-Function-Error-Body"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", s.handleRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.handleExtensionNext)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.active.Add(1)
		defer s.active.Done()
		mux.ServeHTTP(w, r)
	})
}

// handleNext blocks until an invocation is queued, then sends it with Lambda's headers. A
// request from a process that is being killed (it timed out or failed its init) or has
// ended gets nothing: it waits until its connection goes away, and what is queued waits for
// the next process.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "runtime API server is closed")
			return
		}
		live := gen == s.gen && !s.dead
		if live {
			if !s.ready && !s.started.IsZero() {
				s.initDuration = time.Since(s.started)
			}
			s.ready = true
			if len(s.queue) > 0 && r.Context().Err() == nil {
				c := s.deliverLocked()
				s.mu.Unlock()
				if !s.send(w, c) {
					s.requeue(c)
				}
				return
			}
			s.polling++
			close(s.polled)
			s.polled = make(chan struct{})
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
		}
		if live {
			s.mu.Lock()
			s.polling--
			s.mu.Unlock()
		}
		if r.Context().Err() != nil {
			return
		}
	}
}

// send writes the invocation; false means the runtime did not get it.
func (s *Server) send(w http.ResponseWriter, c *call) bool {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(headerRequestID, c.id)
	h.Set(headerDeadline, strconv.FormatInt(c.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, s.cfg.ARN())
	h.Set(headerTraceID, c.trace)
	if c.inv.ClientContext != "" {
		h.Set(headerClientContext, c.inv.ClientContext)
	}
	if c.inv.CognitoIdentity != "" {
		h.Set(headerCognitoIdentity, c.inv.CognitoIdentity)
	}
	h.Set("Content-Length", strconv.Itoa(len(c.inv.Payload)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(c.inv.Payload); err != nil {
		return false
	}
	return http.NewResponseController(w).Flush() == nil
}

// handleResponse completes an invocation with the function's result. A response over
// MaxPayloadSize fails the invocation with Function.ResponseSizeTooLarge and gets 413, as
// on Lambda. An error reported in the trailers (aws-lambda-go does this when the response
// reader fails mid-stream) fails it with that error.
func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadSize+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "reading the response: "+err.Error())
		return
	}
	res := Result{Payload: body, ContentType: r.Header.Get("Content-Type")}
	status := http.StatusAccepted
	switch {
	case len(body) > MaxPayloadSize:
		res = Result{Error: responseTooLargeError()}
		status = http.StatusRequestEntityTooLarge
	case r.Trailer.Get(headerErrorType) != "":
		res = Result{Error: trailerError(r.Trailer)}
	}
	if !s.finish(w, c, res) {
		return
	}
	if status != http.StatusAccepted {
		writeError(w, status, "RequestEntityTooLarge", res.Error.Message)
		return
	}
	writeAccepted(w)
}

// handleError completes an invocation with the error document the function posted.
func (s *Server) handleError(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	fe, tooLarge, ok := readFunctionError(w, r)
	if !ok {
		return
	}
	if s.finish(w, c, Result{Error: fe}) {
		writeErrorStatus(w, tooLarge)
	}
}

// handleInitError records the error of a runtime that failed to initialize. The process is
// then killed, as Lambda resets the environment, and the error is what the invocations
// waiting for it get.
func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	fe, tooLarge, ok := readFunctionError(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.initErr = fe
	s.dead = true // it is killed: no invocation goes to it meanwhile
	gen, hook := s.gen, s.onInitError
	s.mu.Unlock()
	writeErrorStatus(w, tooLarge)
	if hook != nil {
		hook(gen)
	}
}

// lookup finds the in-flight invocation named in the path, or answers 400.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*call, bool) {
	id := r.PathValue("id")
	s.mu.Lock()
	c, ok := s.inflight[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "invalid request id "+strconv.Quote(id))
	}
	return c, ok
}

// finish resolves c unless it was resolved meanwhile (timed out), which gets 403.
func (s *Server) finish(w http.ResponseWriter, c *call, res Result) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[c.id] != c {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "invocation "+c.id+" is already complete")
		return false
	}
	s.finishLocked(c, res, nil)
	return true
}

// readFunctionError reads the error document of a POST .../error. One over MaxPayloadSize
// is replaced by a Function.ResponseSizeTooLarge error and reported as tooLarge, for the
// caller to answer 413 once it has recorded the error. Only when ok is false has an answer
// (400) been written.
func readFunctionError(w http.ResponseWriter, r *http.Request) (fe *FunctionError, tooLarge, ok bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadSize+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "reading the error: "+err.Error())
		return nil, false, false
	}
	if len(body) > MaxPayloadSize {
		return responseTooLargeError(), true, true
	}
	return parseFunctionError(r.Header.Get(headerErrorType), body), false, true
}

// writeErrorStatus answers a recorded error document: 202, or 413 when it was too large.
func writeErrorStatus(w http.ResponseWriter, tooLarge bool) {
	if tooLarge {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", responseTooLargeError().Message)
		return
	}
	writeAccepted(w)
}

// parseFunctionError reads an error document; what is not one becomes its message.
func parseFunctionError(typ string, body []byte) *FunctionError {
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err != nil || (fe.Type == "" && fe.Message == "") {
		fe = FunctionError{Message: string(body)}
	}
	if fe.Type == "" {
		fe.Type = typ
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return &fe
}

func trailerError(t http.Header) *FunctionError {
	body, err := base64.StdEncoding.DecodeString(t.Get(headerErrorBody))
	if err != nil {
		body = nil
	}
	return parseFunctionError(t.Get(headerErrorType), body)
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`+"\n")
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(FunctionError{Type: typ, Message: msg})
}
