package tracing_test

import (
	"context"
	"encoding/json"
	"log"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// albTrace is the trace of the X-Ray header in alb-lambda-target-request-headers-only.json.
const albTrace = "5c34e93e4dea0086f9763ac0667b115a"

// withHeader returns the sample with one of its headers set.
func withHeader(t *testing.T, name, key, value string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, name), &ev))
	ev["headers"].(map[string]any)[key] = value
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// bothForms invokes a handler of T, typed (guard.Wrap) and raw
// (guard.WrapHandler), with the payload, each with a provider of its own
// made with the options, and returns the spans each recorded.
func bothForms[T any](t *testing.T, payload []byte, ctx context.Context, popts []sdktrace.TracerProviderOption, topts ...tracing.Option) map[string][]sdktrace.ReadOnlySpan {
	t.Helper()
	out := map[string][]sdktrace.ReadOnlySpan{}
	for _, form := range []string{"typed", "raw"} {
		tp, sr := recorder(t, popts...)
		opts := []guard.Option{guard.WithTempBase(t.TempDir()), tracing.WithTracing(append(topts, tracing.WithTracerProvider(tp))...)}
		if form == "typed" {
			var ev T
			require.NoError(t, json.Unmarshal(payload, &ev))
			_, err := guard.Wrap(func(context.Context, T) (string, error) { return "ok", nil }, opts...)(ctx, ev)
			require.NoError(t, err)
		} else {
			_, err := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return []byte(`"ok"`), nil }), opts...).Invoke(ctx, payload)
			require.NoError(t, err)
		}
		out[form] = sr.Ended()
	}
	return out
}

func TestXRayHeaderWithoutDecision(t *testing.T) {
	// A parent segment and no decision, or "?": the receiver decides.
	for _, header := range []string{
		"Root=1-5c34e93e-4dea0086f9763ac0667b115a;Parent=53995c3f42cd8ad8",
		"Root=1-5c34e93e-4dea0086f9763ac0667b115a;Parent=53995c3f42cd8ad8;Sampled=?",
	} {
		payload := withHeader(t, "alb-lambda-target-request-headers-only.json", "x-amzn-trace-id", header)
		for _, tt := range []struct {
			name    string
			sampler sdktrace.Sampler
			want    int
		}{
			{"sampler samples", sdktrace.ParentBased(sdktrace.AlwaysSample()), 1},
			{"sampler drops", sdktrace.ParentBased(sdktrace.NeverSample()), 0},
		} {
			t.Run(header+"/"+tt.name, func(t *testing.T) {
				lambdaEnv(t)
				popts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(tt.sampler), sdktrace.WithIDGenerator(tracing.NewIDGenerator())}
				for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", ""), popts) {
					require.Len(t, spans, tt.want, form)
					if tt.want == 0 {
						continue
					}
					s := spans[0]
					assert.False(t, s.Parent().IsValid(), "%s: a root, which the sampler decides on", form)
					assert.Equal(t, albTrace, s.SpanContext().TraceID().String(), "%s: in the header's trace", form)
					require.Len(t, s.Links(), 1, form)
					assert.Equal(t, "53995c3f42cd8ad8", s.Links()[0].SpanContext.SpanID().String(), "%s: the parent segment linked", form)
				}
			})
		}
	}
}

func TestXRayHeaderSpaces(t *testing.T) {
	lambdaEnv(t)
	payload := withHeader(t, "alb-lambda-target-request-headers-only.json", "x-amzn-trace-id", "Root=1-5c34e93e-4dea0086f9763ac0667b115a; Parent=53995c3f42cd8ad8; Sampled=1")
	for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", ""), nil) {
		require.Len(t, spans, 1, form)
		assert.Equal(t, albTrace, spans[0].Parent().TraceID().String(), form)
		assert.Equal(t, "53995c3f42cd8ad8", spans[0].Parent().SpanID().String(), form)
	}
}

func TestXRayRootOnly(t *testing.T) {
	payload := fixture(t, "alb-lambda-target-request-headers-only.json")
	t.Run("with the generator: a root of the header's trace", func(t *testing.T) {
		lambdaEnv(t)
		popts := []sdktrace.TracerProviderOption{sdktrace.WithIDGenerator(tracing.NewIDGenerator())}
		for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", ""), popts) {
			require.Len(t, spans, 1, form)
			assert.False(t, spans[0].Parent().IsValid(), "%s: no made-up parent", form)
			assert.Equal(t, albTrace, spans[0].SpanContext().TraceID().String(), form)
			assert.Empty(t, spans[0].Links(), form)
		}
	})
	t.Run("without: a trace of its own", func(t *testing.T) {
		lambdaEnv(t)
		for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", ""), nil) {
			require.Len(t, spans, 1, form)
			assert.False(t, spans[0].Parent().IsValid(), form)
			assert.NotEqual(t, albTrace, spans[0].SpanContext().TraceID().String(), form)
		}
	})
	t.Run("Lambda's header for the same trace has the parent", func(t *testing.T) {
		lambdaEnv(t)
		for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", "Root=1-5c34e93e-4dea0086f9763ac0667b115a;Parent=1111111111111111;Sampled=1"), nil) {
			require.Len(t, spans, 1, form)
			assert.Equal(t, "1111111111111111", spans[0].Parent().SpanID().String(), form)
		}
	})
	t.Run("a root the handler starts is not in the header's trace", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t, sdktrace.WithIDGenerator(tracing.NewIDGenerator()))
		h := guard.Wrap(func(ctx context.Context, _ events.ALBTargetGroupRequest) (string, error) {
			_, s := tp.Tracer("t").Start(ctx, "own", trace.WithNewRoot())
			s.End()
			return "", nil
		}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("r", ""), decode[events.ALBTargetGroupRequest](t, "alb-lambda-target-request-headers-only.json"))
		require.NoError(t, err)
		own := spanOf(t, sr.Ended(), "own")
		assert.NotEqual(t, albTrace, own.SpanContext().TraceID().String())
	})
}

func TestOTELPropagators(t *testing.T) {
	apigw := fixture(t, "apigw-v1.json") // traceparent 4bf92f35…/00f067aa0ba902b7
	t.Run("xray-lambda: Lambda's context is the parent, the event's linked", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("OTEL_PROPAGATORS", "xray-lambda,tracecontext,baggage")
		for form, spans := range bothForms[events.APIGatewayProxyRequest](t, apigw, invocation("r", lambdaUnsampled), []sdktrace.TracerProviderOption{sdktrace.WithSampler(sdktrace.AlwaysSample())}) {
			require.Len(t, spans, 1, form)
			s := spans[0]
			assert.Equal(t, lambdaTrace, s.Parent().TraceID().String(), form)
			assert.Equal(t, "53995c3f42cd8ad8", s.Parent().SpanID().String(), form)
			assert.Equal(t, []string{"4bf92f3577b34da6a3ce929d0e0e4736"}, linkedTraces(s), form)
		}
	})
	t.Run("tracecontext alone: the X-Ray header is not read", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("OTEL_PROPAGATORS", "tracecontext")
		payload := fixture(t, "alb-lambda-target-request-headers-only.json")
		popts := []sdktrace.TracerProviderOption{sdktrace.WithIDGenerator(tracing.NewIDGenerator())}
		for form, spans := range bothForms[events.ALBTargetGroupRequest](t, payload, invocation("r", ""), popts) {
			require.Len(t, spans, 1, form)
			assert.NotEqual(t, albTrace, spans[0].SpanContext().TraceID().String(), form)
		}
	})
	t.Run("b3 through autoprop", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("OTEL_PROPAGATORS", "b3")
		payload := withHeader(t, "apigw-request.json", "b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")
		for form, spans := range bothForms[events.APIGatewayProxyRequest](t, payload, invocation("r", ""), nil) {
			require.Len(t, spans, 1, form)
			assert.Equal(t, "80f198ee56343ba864fe8b2a57d3eff7", spans[0].Parent().TraceID().String(), form)
		}
	})
	t.Run("an unknown name is reported, the others used", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("OTEL_PROPAGATORS", "tracecontext,nosuch")
		var got []error
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { got = append(got, err) }))
		t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })
		for form, spans := range bothForms[events.APIGatewayProxyRequest](t, apigw, invocation("r", ""), nil) {
			require.Len(t, spans, 1, form)
			assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", spans[0].Parent().TraceID().String(), form)
		}
		require.NotEmpty(t, got)
		assert.EqualError(t, got[0], `tracing: OTEL_PROPAGATORS: unknown propagator "nosuch"`)
	})
}

func TestSQSTraceparentAndAWSTraceHeader(t *testing.T) {
	lambdaEnv(t)
	for form, spans := range bothForms[events.SQSEvent](t, fixture(t, "sqs-traceparent-and-xray.json"), invocation("r", ""), nil) {
		require.Len(t, spans, 1, form)
		s := spans[0]
		assert.Equal(t, "051581bf3cb55c13", s.Parent().SpanID().String(), "%s: the traceparent is the parent", form)
		assert.ElementsMatch(t, []string{"5b8aa5a2d2c872e8321cf37308d69df2", lambdaTrace}, linkedTraces(s), "%s: both contexts linked", form)
	}
}
