// Command traced is examples/basic with tracing: the same guarded handler
// (copied line for line: examples/basic is a main package), traced by
// lambdaguard/tracing into an OpenTelemetry SDK TracerProvider
// that exports over OTLP/HTTP, as a function in production would.
// scripts/bench.sh compares its binary size and start-up with
// examples/basic's, which links no OpenTelemetry at all.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
	"github.com/lambdaguard/lambdaguard/tracing"
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
	exp, err := otlptracehttp.New(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exp)))
	guard.Start(handle, tracing.WithTracing(tracing.WithTracerProvider(tp)))
}
