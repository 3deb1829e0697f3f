// Command traced is examples/basic with tracing: the same guarded handler,
// traced by lambdaguard/tracing into an OpenTelemetry SDK TracerProvider
// that exports over OTLP/HTTP, as a function in production would.
// scripts/bench.sh compares its binary size and start-up with
// examples/basic's, which links no OpenTelemetry at all.
package main

import (
	"bufio"
	"context"
	"encoding/json"
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

var caller = scope.NewKey[string]("caller")

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	who := req.QueryStringParameters["user"]
	if who == "" {
		who = "anonymous"
	}
	if err := caller.Set(ctx, who); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	root, err := guard.TempRoot(ctx)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := root.WriteFile("body.txt", []byte(req.Body), 0o600); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	f, err := root.Open("body.txt")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	defer f.Close()
	words := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		words += len(strings.Fields(sc.Text()))
	}
	name, _ := caller.Get(ctx)
	body, err := json.Marshal(map[string]any{"caller": name, "words": words})
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
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	guard.Start(handle, tracing.WithTracing(tracing.WithTracerProvider(tp)))
}
