// Package app holds the two functions of the traced example: front, behind
// an HTTP API, calls back, behind a function URL, over HTTP; both are traced
// with lambdaguard's tracing package and share one trace end to end.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/tracing"
)

// Reply is what both functions answer: the trace they ran in, and what the
// one behind said.
type Reply struct {
	Function string `json:"function"`
	TraceID  string `json:"traceId"`
	Back     *Reply `json:"back,omitempty"`
}

// Provider returns the TracerProvider of a function: spans go to an OTLP
// endpoint configured by the standard OTEL_EXPORTER_OTLP_* variables when one
// is set; without one, spans are still made and propagated, just not
// exported. The guard flushes the provider before each result goes back.
//
// The provider's resource (tracing.Resource) describes the execution
// environment — cloud.region, faas.name, faas.version, faas.instance,
// faas.max_memory, cloud.platform, service.name — once: the conventions put
// those on the resource, not on every span.
func Provider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	res, err := tracing.Resource(ctx)
	if err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exp)))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// Logger logs with the invocation's trace and request ids on every line.
func Logger() *slog.Logger {
	return slog.New(tracing.NewLogHandler(slog.NewJSONHandler(os.Stderr, nil)))
}

// Front returns the front function: it calls back at backURL with client
// (made by tracing.NewClient, so the request carries the trace).
func Front(client *http.Client, backURL string, log *slog.Logger) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		log.InfoContext(ctx, "front: calling back", "url", backURL)
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(backURL, "/")+"/work", nil)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		resp, err := client.Do(r)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadGateway, Body: err.Error()}, nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		var back Reply
		if err := json.Unmarshal(body, &back); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadGateway, Body: "back answered: " + string(body)}, nil
		}
		return reply(ctx, "front", &back)
	}
}

// Back is the back function: it answers with the trace it runs in.
func Back(log *slog.Logger) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		log.InfoContext(ctx, "back: working")
		return reply(ctx, "back", nil)
	}
}

// reply is a function's JSON answer: its name, the trace it runs in, and
// what the function it called answered.
func reply(ctx context.Context, name string, back *Reply) (events.APIGatewayV2HTTPResponse, error) {
	b, err := json.Marshal(Reply{Function: name, TraceID: trace.SpanContextFromContext(ctx).TraceID().String(), Back: back})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}, nil
}
