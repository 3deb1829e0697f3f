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
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/guard"
)

// lastMessage is the bug: it outlives the request that set it.
var lastMessage string

func init() {
	guard.Watch("lastMessage", &lastMessage)
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
	if lastMessage != "" {
		body = "warmstart, message=" + lastMessage
	}
	lastMessage = msg

	_ = os.WriteFile(filepath.Join(os.TempDir(), "leaky-last-message.txt"), []byte(msg), 0o600)
	_ = os.Setenv("LEAKY_LAST_MESSAGE", msg)
	go auditLoop(msg)

	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: body}, nil
}

func main() {
	guard.Start(handle)
}
