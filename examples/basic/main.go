// Command basic is an API Gateway HTTP API (payload v2) function built on
// lambdaguard: the caller's identity travels in the invocation's scope, a
// report is assembled in the invocation's own temp directory, and both are
// gone when the handler returns, so the next caller on this warm environment
// finds nothing of the last one.
//
// Build it as Lambda runs it:
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/basic
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// caller is who made this request and message what they said; both live in
// the invocation's scope, never in a package-level variable, so the next
// caller cannot be served this one's.
var (
	caller  = scope.NewKey[string]("caller")
	message = scope.NewKey[string]("message")
)

type reply struct {
	Caller    string `json:"caller"`
	Message   string `json:"message"`
	Words     int    `json:"words"`
	Lines     int    `json:"lines"`
	RequestID string `json:"requestId"`
	Cold      bool   `json:"coldStart"`
	Number    uint64 `json:"invocation"`
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	who := req.QueryStringParameters["user"]
	if who == "" {
		who = "anonymous"
	}
	if err := caller.Set(ctx, who); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := message.Set(ctx, req.QueryStringParameters["message"]); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}

	// Spool the body to this invocation's own directory, then read it back
	// as a stream: nothing another request wrote can be there.
	root, err := guard.TempRoot(ctx)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := root.WriteFile("body.txt", []byte(req.Body), 0o600); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("spool body: %w", err)
	}
	f, err := root.Open("body.txt")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	defer f.Close()
	var r reply
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r.Lines++
		r.Words += len(strings.Fields(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}

	inv, _ := guard.InvocationFrom(ctx)
	r.Caller, _ = caller.Get(ctx)
	r.Message, _ = message.Get(ctx)
	r.RequestID, r.Cold, r.Number = inv.RequestID, inv.ColdStart, inv.Number
	body, err := json.Marshal(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	guard.Start(handle)
}
