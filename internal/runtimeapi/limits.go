package runtimeapi

import (
	"errors"
	"fmt"
	"time"
)

// MaxPayloadSize is Lambda's limit for a synchronous invocation's request and response
// payloads: 6 MB.
const MaxPayloadSize = 6 * 1024 * 1024

// ShutdownGrace is how long Lambda waits after SIGTERM before it sends SIGKILL when only
// internal extensions are registered.
const ShutdownGrace = 500 * time.Millisecond

// Error types Lambda reports to the caller when the runtime cannot.
const (
	ErrorTypeTimeout      = "Sandbox.Timedout"
	ErrorTypeExit         = "Runtime.ExitError"
	ErrorTypeResponseSize = "Function.ResponseSizeTooLarge"
)

// ErrRequestTooLarge is returned by Invoke for a payload larger than MaxPayloadSize, as
// Lambda's Invoke API answers RequestEntityTooLarge without running the function.
var ErrRequestTooLarge = errors.New("runtimeapi: RequestEntityTooLarge: request must be smaller than 6291456 bytes for the InvokeFunction operation")

// ErrClosed is returned by Invoke once the Server or Function is closed.
var ErrClosed = errors.New("runtimeapi: closed")

// ErrStart is wrapped by the error Function.Invoke returns when the process could not be
// started at all (a bootstrap built for another system, for one): no invocation can run.
var ErrStart = errors.New("runtimeapi: start")

func timeoutError(id string, d time.Duration) *FunctionError {
	return &FunctionError{
		Type:    ErrorTypeTimeout,
		Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, d.Seconds()),
	}
}

func responseTooLargeError() *FunctionError {
	return &FunctionError{
		Type:    ErrorTypeResponseSize,
		Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayloadSize),
	}
}

// exitError is what Lambda reports when the runtime process exits with invocations in flight.
func exitError(id, status string) *FunctionError {
	msg := "Error: Runtime exited with error: " + status
	if id != "" {
		msg = "RequestId: " + id + " " + msg
	}
	return &FunctionError{Type: ErrorTypeExit, Message: msg}
}
