// Command fn is a guarded Lambda function for the reliability suite. The
// event says what to do:
//
//	{"action": "echo", "message": "m"}   respond with the message and the request id
//	{"action": "panic-value"}            panic with a string
//	{"action": "panic-error"}            panic with an error
//	{"action": "panic-nil"}              panic(nil)
//	{"action": "hang"}                   ignore the deadline and never return
//	{"action": "tmp"}                    respond with what TMPDIR holds
//
// Every invocation but "tmp" first writes a file into its temp directory and
// prints "tmpdir <path>", and registers a cleanup that prints
// "cleanup <request id>": the test checks the one is gone and the other ran.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

type event struct {
	Action  string `json:"action"`
	Message string `json:"message"`
}

type response struct {
	Message   string   `json:"message,omitempty"`
	RequestID string   `json:"request_id"`
	TempDir   string   `json:"temp_dir,omitempty"`
	Entries   []string `json:"entries,omitempty"`
}

// handlerError is the type aws-lambda-go names in the error report.
type handlerError struct{ msg string }

func (e *handlerError) Error() string { return e.msg }

func handle(ctx context.Context, ev event) (response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	r := response{RequestID: lc.AwsRequestID}
	if ev.Action == "tmp" {
		entries, _ := os.ReadDir(os.TempDir())
		for _, e := range entries {
			r.Entries = append(r.Entries, e.Name())
		}
		return r, nil
	}
	dir, err := guard.TempDir(ctx)
	if err != nil {
		return r, err
	}
	if err := os.WriteFile(filepath.Join(dir, "payload"), []byte(ev.Message), 0o600); err != nil {
		return r, err
	}
	r.TempDir = dir
	fmt.Println("tmpdir", dir)
	_ = scope.From(ctx).OnClose(func(context.Context) error {
		fmt.Println("cleanup", lc.AwsRequestID)
		return nil
	})
	switch ev.Action {
	case "panic-value":
		panicValue()
	case "panic-error":
		panicError()
	case "panic-nil":
		panicNil()
	case "hang":
		time.Sleep(time.Hour) // a handler that ignores ctx; the runner kills it at the deadline
	}
	b, err := os.ReadFile(filepath.Join(dir, "payload"))
	r.Message = string(b)
	return r, err
}

func panicValue() { panic("fn: value panic") }

func panicError() { panic(&handlerError{msg: "fn: error panic"}) }

func panicNil() { panic(nil) }

func main() {
	guard.Start(handle)
}
