// Command leaky is a function with the classic warm-start bugs, kept on
// purpose to show what lambdaguard's debug mode catches:
//
//   - a package-level variable keeps the last caller's message and serves it
//     to the next caller ("warmstart, message=<previous caller's value>");
//   - a file is written straight to /tmp and never removed;
//   - a goroutine outlives the handler and runs on inside later requests;
//   - os.Setenv puts request data in the process-wide environment.
//
// Run it through the local runner, debug mode on:
//
//	go run ./cmd/lambdaguard run ./examples/leaky
package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/guard"
)

// lastMessage is the bug: it outlives the request that set it. The mutex
// keeps concurrent invocations from racing on it (AWS_LAMBDA_MAX_CONCURRENCY
// > 1); it does nothing against the warm start, which is the point. Named
// with GuardedBy, it lets debug mode check the variable at the end of every
// invocation, even while the goroutine below is still running (a variable
// without a lock of its own is only read when nothing else can be writing
// it).
var (
	mu          sync.Mutex
	lastMessage string
)

func init() {
	guard.Watch("lastMessage", &lastMessage, guard.GuardedBy(&mu))
}

// auditLoop keeps running after the handler returned: frozen with the
// process, it resumes inside the next request with this one's data.
func auditLoop(msg string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for range t.C {
		_ = msg
	}
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	msg := req.QueryStringParameters["message"]
	body := "coldstart"
	mu.Lock()
	if lastMessage != "" {
		body = "warmstart, message=" + lastMessage
	}
	lastMessage = msg
	mu.Unlock()

	_ = os.WriteFile(filepath.Join(os.TempDir(), "leaky-last-message.txt"), []byte(msg), 0o600)
	_ = os.Setenv("LEAKY_LAST_MESSAGE", msg)
	go auditLoop(msg)

	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: body}, nil
}

func main() {
	guard.Start(handle)
}
