package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

const (
	headerExtensionName = "Lambda-Extension-Name"
	headerExtensionID   = "Lambda-Extension-Identifier"
)

// extension is one registration with the Extensions API (2020-01-01).
type extension struct {
	name   string
	events []string
}

// handleRegister registers an extension. aws-lambda-go's lambda.WithEnableSIGTERM registers
// one that subscribes to no event; on Lambda, any registration is what makes the shutdown
// begin with SIGTERM rather than SIGKILL alone.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(headerExtensionName)
	if name == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "missing "+headerExtensionName+" header")
		return
	}
	var req struct {
		Events []string `json:"events"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "register body: "+err.Error())
			return
		}
	}
	for _, e := range req.Events {
		if e != "INVOKE" && e != "SHUTDOWN" {
			writeError(w, http.StatusBadRequest, "InvalidEventType", "unknown event type "+strconv.Quote(e))
			return
		}
	}
	id := uuid.NewString()
	s.mu.Lock()
	s.exts[id] = extension{name: name, events: req.Events}
	s.mu.Unlock()
	w.Header().Set(headerExtensionID, id)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"functionName":    s.cfg.Name,
		"functionVersion": s.cfg.Version,
		"handler":         s.cfg.Handler,
	})
}

// handleExtensionNext blocks until the environment shuts down or is reset after a timeout.
// An extension subscribed to SHUTDOWN then gets the event, with the reason ("spindown" or
// "timeout"); one that is not (aws-lambda-go's) stays blocked, as on Lambda, until its
// process goes away. INVOKE events are not delivered.
func (s *Server) handleExtensionNext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ext, ok := s.exts[r.Header.Get(headerExtensionID)]
	shutdown := s.shutdown
	s.mu.Unlock()
	reason := func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.shutdown != shutdown { // that process has ended meanwhile
			return "spindown"
		}
		return s.shutdownReason
	}
	if !ok {
		writeError(w, http.StatusForbidden, "Extension.UnknownExtensionIdentifier", "unknown extension identifier")
		return
	}
	select {
	case <-shutdown:
	case <-r.Context().Done():
		return
	}
	if !slices.Contains(ext.events, "SHUTDOWN") {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"eventType":      "SHUTDOWN",
		"shutdownReason": reason(),
		"deadlineMs":     time.Now().Add(ShutdownGrace).UnixMilli(),
	})
}

// extensionsRegistered reports whether the process of generation gen registered an
// extension.
func (s *Server) extensionsRegistered(gen int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return gen == s.gen && len(s.exts) > 0
}

// beginShutdown sends SHUTDOWN, with reason ("spindown", "timeout"), to the extensions of
// generation gen that asked for it.
func (s *Server) beginShutdown(gen int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen == s.gen {
		s.beginShutdownLocked(reason)
	}
}

func (s *Server) beginShutdownLocked(reason string) {
	select {
	case <-s.shutdown:
	default:
		s.shutdownReason = reason
		close(s.shutdown)
	}
}
