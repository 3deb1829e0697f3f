package runtimeapi

import (
	"encoding/json"
	"time"
)

// Invocation is one request to the function: what a caller of Lambda's Invoke API sends.
type Invocation struct {
	// Payload is the event, sent as the body of GET .../invocation/next. At most
	// MaxPayloadSize bytes.
	Payload []byte
	// ClientContext and CognitoIdentity are JSON documents sent in the
	// Lambda-Runtime-Client-Context and Lambda-Runtime-Cognito-Identity headers. As on Lambda,
	// a header is sent only when its value is set.
	ClientContext   string
	CognitoIdentity string
	// Timeout overrides Config.Timeout for this invocation when positive.
	Timeout time.Duration
}

// Result is how an invocation ended.
type Result struct {
	// RequestID is the Lambda-Runtime-Aws-Request-Id the function saw.
	RequestID string
	// TraceID is the Lambda-Runtime-Trace-Id header the function saw.
	TraceID string
	// Payload is the response body when the function succeeded, nil otherwise.
	Payload []byte
	// ContentType is the Content-Type the function posted its response with.
	ContentType string
	// Error is set when the invocation failed: the error the function posted, or the one
	// Lambda would report for a timeout, a crash or an oversized response.
	Error *FunctionError
	// Duration runs from delivery to the function until the response, error or deadline.
	Duration time.Duration
	// InitFailed is true when the process failed before it asked for an invocation: it
	// exited during init, or posted /runtime/init/error. Error says how.
	InitFailed bool
	// ColdStart is true for the first invocation delivered to a newly started process.
	ColdStart bool
	// InitDuration, on a cold start, runs from the process's start to its first
	// GET .../invocation/next: Lambda's "Init Duration". Zero on a warm start, and when a
	// Server is used without a Function.
	InitDuration time.Duration
	// MaxMemoryKB is the peak resident set of the bootstrap process so far, in KiB: read
	// from /proc/PID/status (VmHWM) as the invocation ends, or from the process's rusage
	// once it has exited. Zero when unknown (not Linux, or a Server without a Function).
	// Lambda's "Max Memory Used" measures the whole sandbox; this measures the bootstrap
	// process, which for a Go function is nearly all of it.
	MaxMemoryKB int64
	// PID is the process id of the bootstrap that received the invocation (0 when a Server
	// is used without a Function).
	PID int
}

// TimedOut reports whether the invocation ran past its deadline.
func (r Result) TimedOut() bool { return r.Error != nil && r.Error.Type == ErrorTypeTimeout }

// FunctionError is the error document Lambda returns for a failed invocation, as
// aws-lambda-go posts it to .../invocation/{id}/error.
type FunctionError struct {
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

// Error implements error as "Type: Message".
func (e *FunctionError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}
