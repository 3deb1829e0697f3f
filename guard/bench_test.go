package guard_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// benchCtx is the context aws-lambda-go hands a handler: a deadline and the
// Lambda context.
func benchCtx(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
}

func echo(_ context.Context, ev event) (result, error) { return result{Read: ev.Payload}, nil }

// BenchmarkWrap measures what the guard adds to one invocation with debug
// off. The typed variants call the handler directly, so that the guard's own
// cost stands alone; the raw variants go through lambda.NewHandler as
// aws-lambda-go does, JSON included. The comparative benchmarks, with real
// events and OpenTelemetry's otellambda, are in the bench module.
func BenchmarkWrap(b *testing.B) {
	base := b.TempDir()
	opts := []guard.Option{guard.WithTempBase(base), guard.WithDebug(false), guard.WithLogger(slog.New(slog.DiscardHandler))}
	key := scope.NewKey[string]("caller")
	usesScope := func(ctx context.Context, ev event) (result, error) {
		if err := key.Set(ctx, ev.ID); err != nil {
			return result{}, err
		}
		v, _ := key.Get(ctx)
		return result{Value: v}, nil
	}
	tempDir := func(ctx context.Context, ev event) (result, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return result{}, err
		}
		return result{}, root.WriteFile("payload", []byte(ev.Payload), 0o600)
	}
	cleanup := func(ctx context.Context, ev event) (result, error) {
		return result{}, scope.From(ctx).OnClose(func(context.Context) error { return nil })
	}
	background := func(ctx context.Context, ev event) (result, error) {
		return result{}, scope.From(ctx).Go(func(context.Context) error { return nil })
	}

	typed := []struct {
		name string
		h    func(context.Context, event) (result, error)
	}{
		{"typed/bare", echo},
		{"typed/wrap", guard.Wrap(echo, opts...)},
		{"typed/wrap-scope", guard.Wrap(usesScope, opts...)},
		{"typed/wrap-cleanup", guard.Wrap(cleanup, opts...)},
		{"typed/wrap-go", guard.Wrap(background, opts...)},
		{"typed/wrap-tempdir", guard.Wrap(tempDir, opts...)},
	}
	for _, c := range typed {
		b.Run(c.name, func(b *testing.B) {
			ctx := benchCtx(b)
			ev := event{ID: "42", Payload: "hello"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.h(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	raw := []struct {
		name string
		h    lambda.Handler
	}{
		{"raw/bare", lambda.NewHandler(echo)},
		{"raw/wrap", lambda.NewHandler(guard.Wrap(echo, opts...))},
		{"raw/WrapHandler", guard.WrapHandler(lambda.NewHandler(echo), opts...)},
	}
	payload := []byte(`{"id":"42","payload":"hello"}`)
	for _, c := range raw {
		b.Run(c.name, func(b *testing.B) {
			ctx := benchCtx(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
