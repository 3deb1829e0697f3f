package bench_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-lambda-go/otellambda"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/tracing"
)

func TestMain(m *testing.M) {
	// The execution environment's variables, as Lambda sets them, before any
	// option reads them.
	os.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	os.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
	os.Setenv("AWS_REGION", "eu-west-1")
	os.Unsetenv("AWS_LAMBDA_MAX_CONCURRENCY")
	os.Unsetenv("LAMBDAGUARD_DEBUG")
	dir, err := os.MkdirTemp("", "lambdaguard-bench-")
	if err != nil {
		panic(err)
	}
	benchBase = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// discard is a span exporter that drops what it gets.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// quiet is the logger of every guard here: debug mode logs each closing.
var quiet = slog.New(slog.DiscardHandler)

// lambdaContext is the context aws-lambda-go hands a handler: a deadline
// and the Lambda context.
func lambdaContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:orders:live",
	})
}

type variant struct {
	name string
	h    lambda.Handler
}

// variants returns the handlers compared for one event type, in the order
// the report lists them. The bare handler comes first: the floor. The
// tracing variants come twice: with tp, a provider whose spans go through
// the SDK's batch span processor, and with sp, one whose spans go through
// tracing.NewSpanProcessor (their names end in -sp).
func variants[TIn, TOut any](tp, sp *sdktrace.TracerProvider, h, spooled, spooledBare func(context.Context, TIn) (TOut, error)) []variant {
	opts := []guard.Option{guard.WithTempBase(benchBase), guard.WithDebug(false), guard.WithLogger(quiet)}
	vs := []variant{
		{"bare", lambda.NewHandler(h)},
		{"guard", lambda.NewHandler(guard.Wrap(h, opts...))},
		{"bare-tempdir", lambda.NewHandler(spooledBare)},
		{"guard-tempdir", lambda.NewHandler(guard.Wrap(spooled, opts...))},
	}
	for _, p := range []struct {
		suffix string
		tp     *sdktrace.TracerProvider
	}{{"", tp}, {"-sp", sp}} {
		traced := append(opts[:len(opts):len(opts)], tracing.WithTracing(tracing.WithTracerProvider(p.tp)))
		ol := []otellambda.Option{otellambda.WithTracerProvider(p.tp), otellambda.WithFlusher(p.tp)}
		vs = append(vs,
			variant{"guard-tracing" + p.suffix, lambda.NewHandler(guard.Wrap(h, traced...))},
			variant{"otellambda" + p.suffix, lambda.NewHandler(otellambda.InstrumentHandler(h, ol...))},
			variant{"otellambda-wrap" + p.suffix, otellambda.WrapHandler(lambda.NewHandler(h), ol...)},
			variant{"otellambda-parent" + p.suffix, otellambda.WrapHandler(lambda.NewHandler(h), append(ol[:len(ol):len(ol)],
				otellambda.WithPropagator(tracing.DefaultPropagator()), otellambda.WithEventToCarrier(eventCarrier))...)},
		)
	}
	return vs
}

// eventCarrier is what otellambda needs to continue the caller's trace, as
// lambdaguard's tracing does: the caller's context read from the payload —
// an HTTP request's headers, or the first SQS message's String attributes.
func eventCarrier(payload []byte) propagation.TextMapCarrier {
	var e struct {
		Headers map[string]string `json:"headers"`
		Records []struct {
			MessageAttributes map[string]struct {
				StringValue *string `json:"stringValue"`
			} `json:"messageAttributes"`
		} `json:"Records"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return propagation.MapCarrier{}
	}
	if len(e.Records) > 0 {
		c := propagation.MapCarrier{}
		for k, v := range e.Records[0].MessageAttributes {
			if v.StringValue != nil {
				c[k] = *v.StringValue
			}
		}
		return c
	}
	return propagation.MapCarrier(e.Headers)
}

// BenchmarkInvoke runs one invocation through aws-lambda-go's
// lambda.NewHandler(...).Invoke, as the runtime loop does, for every
// variant and both events side by side, so that the ratios hold on a noisy
// machine. The tracing variants share an SDK TracerProvider with an
// exporter that drops the spans, flushed after each invocation as in
// Lambda: one with the SDK's batch span processor, one (the -sp variants)
// with tracing.NewSpanProcessor.
func BenchmarkInvoke(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	sp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(discard{})))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = sp.Shutdown(context.Background())
	})

	runs := []struct {
		event    string
		payload  []byte
		variants []variant
	}{
		{"apigw-v2", fixture(b, "apigw-v2.json"), variants(tp, sp, apiHandler, apiSpool, apiSpoolBare)},
		{"sqs-10", fixture(b, "sqs-batch-10.json"), variants(tp, sp, sqsHandler, sqsSpool, sqsSpoolBare)},
	}
	// scripts/bench.sh runs the benchmarks in rounds (-count 1 each) and
	// every other round in reverse order: -count n would run each variant
	// n times in a row, and a variant measured always right after another
	// would carry whatever drift the machine had then.
	reverse := os.Getenv("LAMBDAGUARD_BENCH_ORDER") == "reverse"
	for _, r := range runs {
		if reverse {
			slices.Reverse(r.variants)
		}
		for _, v := range r.variants {
			b.Run("event="+r.event+"/handler="+v.name, func(b *testing.B) {
				invoke(b, v.h, r.payload)
			})
		}
	}
}

func invoke(b *testing.B, h lambda.Handler, payload []byte) {
	ctx := lambdaContext(b)
	if _, err := h.Invoke(ctx, payload); err != nil { // the cold start: sweep, first tracer use
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDebug is a guarded invocation in debug mode with a watched map of
// 0 to 100,000 entries that the handler leaves as it was, besides the
// process checks debug mode always makes (environment, descriptors, temp
// base, goroutines). The map has no lock of its own: it is read when the
// process is quiet, at the start and at the end of each invocation, as they
// run one at a time here. The bytes per operation are the watched keys and
// values, so MB/s is how fast debug mode gets through the watched data;
// entries=0 is the fixed part. mode=off is the same guard with debug mode
// off, mode=sampled-out one in debug mode whose sample never picks the
// invocation: what debug mode costs an invocation it does not check.
func BenchmarkDebug(b *testing.B) {
	payload := fixture(b, "apigw-v2.json")
	base := []guard.Option{guard.WithTempBase(benchBase), guard.WithLogger(quiet)}
	for _, m := range []struct {
		name string
		opts []guard.Option
	}{
		{"off", []guard.Option{guard.WithDebug(false)}},
		{"sampled-out", []guard.Option{guard.WithDebug(true), guard.WithDebugConfig(guard.DebugConfig{Sample: 1e-300})}},
	} {
		b.Run("mode="+m.name, func(b *testing.B) {
			h := lambda.NewHandler(guard.Wrap(apiHandler, append(base[:len(base):len(base)], m.opts...)...))
			invoke(b, h, payload)
		})
	}
	for _, n := range []int{0, 1_000, 10_000, 100_000} {
		b.Run("entries="+strconv.Itoa(n), func(b *testing.B) {
			cache, size := cacheOf(n)
			if n > 0 {
				guardtest.Watch(b, "cache", &cache)
			}
			var findings []guard.Finding
			h := lambda.NewHandler(guard.Wrap(apiHandler, append(base[:len(base):len(base)],
				guard.WithDebug(true), guard.WithReporter(func(r guard.Report) { findings = append(findings, r.Findings...) }))...))
			b.SetBytes(size)
			invoke(b, h, payload)
			b.StopTimer()
			if len(findings) > 0 {
				b.Fatalf("debug mode found %d leaks in a handler that leaks nothing: %+v", len(findings), findings[0])
			}
		})
	}
}

func fixture(b *testing.B, name string) []byte {
	p, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkGuardPaired measures the guard's cost the way a small ratio on a
// shared machine can be measured: the bare handler and the guarded one
// invoked alternately, one invocation each per iteration (which goes first
// alternating too), each timed on its own. Whatever the machine does in the
// meantime falls on both alike; separate benchmarks, seconds apart, see
// different machines. It reports the time of each and their ratio. The
// -tempdir pairs spool the body to a temp directory: made and removed by
// hand in the bare handler, the invocation's own in the guarded one.
func BenchmarkGuardPaired(b *testing.B) {
	opts := []guard.Option{guard.WithTempBase(benchBase), guard.WithDebug(false), guard.WithLogger(quiet)}
	pairs := []struct {
		event       string
		payload     []byte
		bare, guard lambda.Handler
	}{
		{"apigw-v2", fixture(b, "apigw-v2.json"), lambda.NewHandler(apiHandler), lambda.NewHandler(guard.Wrap(apiHandler, opts...))},
		{"sqs-10", fixture(b, "sqs-batch-10.json"), lambda.NewHandler(sqsHandler), lambda.NewHandler(guard.Wrap(sqsHandler, opts...))},
		{"apigw-v2-ctx", fixture(b, "apigw-v2.json"), lambda.NewHandler(apiHandlerCtx), lambda.NewHandler(guard.Wrap(apiHandlerCtx, opts...))},
		{"apigw-v2-tempdir", fixture(b, "apigw-v2.json"), lambda.NewHandler(apiSpoolBare), lambda.NewHandler(guard.Wrap(apiSpool, opts...))},
		{"sqs-10-tempdir", fixture(b, "sqs-batch-10.json"), lambda.NewHandler(sqsSpoolBare), lambda.NewHandler(guard.Wrap(sqsSpool, opts...))},
	}
	for _, p := range pairs {
		b.Run("event="+p.event, func(b *testing.B) {
			ctx := lambdaContext(b)
			call := func(h lambda.Handler) time.Duration {
				start := time.Now()
				if _, err := h.Invoke(ctx, p.payload); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			call(p.bare) // the cold starts
			call(p.guard)
			var bare, guarded time.Duration
			n := 0
			for b.Loop() {
				if n%2 == 0 {
					bare += call(p.bare)
					guarded += call(p.guard)
				} else {
					guarded += call(p.guard)
					bare += call(p.bare)
				}
				n++
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-ns/op")
			b.ReportMetric(float64(guarded.Nanoseconds())/float64(n), "guard-ns/op")
			b.ReportMetric(float64(guarded)/float64(bare), "guard/bare")
		})
	}
}

// BenchmarkDebugPaired measures what debug mode costs an invocation its
// sample leaves out the way BenchmarkGuardPaired measures the guard: a guard
// with debug mode off and one in debug mode whose sample never picks the
// invocation, invoked alternately, each timed on its own.
func BenchmarkDebugPaired(b *testing.B) {
	payload := fixture(b, "apigw-v2.json")
	base := []guard.Option{guard.WithTempBase(benchBase), guard.WithLogger(quiet)}
	off := lambda.NewHandler(guard.Wrap(apiHandler, append(base[:len(base):len(base)], guard.WithDebug(false))...))
	out := lambda.NewHandler(guard.Wrap(apiHandler, append(base[:len(base):len(base)], guard.WithDebug(true), guard.WithDebugConfig(guard.DebugConfig{Sample: 1e-300}))...))
	ctx := lambdaContext(b)
	call := func(h lambda.Handler) time.Duration {
		start := time.Now()
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	call(off)
	call(out)
	var tOff, tOut time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			tOff += call(off)
			tOut += call(out)
		} else {
			tOut += call(out)
			tOff += call(off)
		}
		n++
	}
	b.ReportMetric(float64(tOff.Nanoseconds())/float64(n), "off-ns/op")
	b.ReportMetric(float64(tOut.Nanoseconds())/float64(n), "sampled-out-ns/op")
	b.ReportMetric(float64(tOut)/float64(tOff), "sampled-out/off")
}
