package reliability_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/scope"
)

type panicEvent struct {
	Message string `json:"message"`
}

var errPanic = errors.New("handler: broken invariant")

// panicsWith names each way a handler can panic and checks what the caller
// of the guarded handler recovers.
var panicsWith = []struct {
	name  string
	raise func()
	check func(t *testing.T, got any)
}{
	{
		name:  "value",
		raise: func() { panic("kaboom") },
		check: func(t *testing.T, got any) { assert.Equal(t, "kaboom", got) },
	},
	{
		name:  "error",
		raise: func() { panic(errPanic) },
		check: func(t *testing.T, got any) {
			err, ok := got.(error)
			require.True(t, ok, "%T", got)
			assert.Same(t, errPanic, err, "the very error value, not a wrapper")
		},
	},
	{
		name:  "nil",
		raise: func() { panic(nil) },
		check: func(t *testing.T, got any) {
			var pn *runtime.PanicNilError
			assert.ErrorAs(t, got.(error), &pn, "panic(nil) still reaches the caller as a panic")
		},
	},
}

// TestPanicClosesScopeAndWipesTempDir drives each kind of panic through
// aws-lambda-go's lambda.NewHandler around every guarded form (typed, typed
// in debug mode, byte-level), and checks that the panic reaches the runtime
// unchanged while the scope is closed, its cleanups and background work have
// run, and the temp directory is gone.
func TestPanicClosesScopeAndWipesTempDir(t *testing.T) {
	for _, p := range panicsWith {
		for _, form := range []string{"Wrap", "Wrap debug", "WrapHandler"} {
			t.Run(p.name+"/"+form, func(t *testing.T) {
				base := t.TempDir()
				var (
					sc       *scope.Scope
					dir      string
					cleanups atomic.Int32
					bgDone   atomic.Bool
					k        = scope.NewKey[string]("secret")
					valueCtx context.Context
				)
				typed := func(ctx context.Context, ev panicEvent) (string, error) {
					sc = scope.From(ctx)
					require.NoError(t, k.Set(ctx, ev.Message))
					valueCtx = ctx
					var err error
					dir, err = guard.TempDir(ctx)
					require.NoError(t, err)
					require.NoError(t, sc.OnClose(func(context.Context) error { cleanups.Add(1); return nil }))
					require.NoError(t, sc.OnClose(func(context.Context) error { cleanups.Add(1); return errors.New("second cleanup fails") }))
					require.NoError(t, sc.Go(func(context.Context) error { bgDone.Store(true); return nil }))
					p.raise()
					return "unreachable", nil
				}
				opts := []guard.Option{guard.WithTempBase(base), guard.WithLogger(discardLogger())}
				var h lambda.Handler
				switch form {
				case "Wrap":
					h = lambda.NewHandler(guard.Wrap(typed, opts...))
				case "Wrap debug":
					opts = append(opts, guard.WithDebug(true), guard.WithReporter(func(guard.Report) {}))
					h = lambda.NewHandler(guard.Wrap(typed, opts...))
				case "WrapHandler":
					h = guard.WrapHandler(lambda.NewHandler(typed), opts...)
				}
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-" + p.name})
				got := recoverFrom(func() { _, _ = h.Invoke(ctx, []byte(`{"message":"per-request secret"}`)) })
				p.check(t, got)

				require.NotNil(t, sc)
				assert.ErrorIs(t, sc.OnClose(func(context.Context) error { return nil }), scope.ErrClosed, "scope closed")
				assert.EqualValues(t, 2, cleanups.Load(), "every cleanup ran, the failing one too")
				assert.True(t, bgDone.Load(), "background work was waited for")
				_, ok := k.Get(valueCtx)
				assert.False(t, ok, "the scope's values are dropped")
				gone(t, dir)
				emptyDir(t, base)
			})
		}
	}
}

func recoverFrom(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// TestPanicReportThroughRuntime runs a guarded bootstrap under the Runtime
// API runner: aws-lambda-go's own panic report (error type, message, a stack
// trace that names the function that panicked) reaches the caller as if the
// guard were not there, and before the process exits the cleanup ran and the
// temp directory was wiped.
func TestPanicReportThroughRuntime(t *testing.T) {
	tmp := t.TempDir()
	logs := &logSink{}
	f, err := runtimeapi.Start(bootstrap(t), runtimeapi.Config{Name: "panics", TempDir: tmp, Logs: logs.add})
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()

	for _, tc := range []struct {
		action, typ, msg, frame string
	}{
		{"panic-value", "string", "fn: value panic", "panicValue"},
		{"panic-error", "handlerError", "fn: error panic", "panicError"},
		{"panic-nil", "PanicNilError", "panic called with nil argument", "panicNil"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			res, err := f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":"` + tc.action + `","message":"m"}`)})
			require.NoError(t, err)
			require.NotNil(t, res.Error, "the invocation failed")
			assert.True(t, res.ColdStart, "the panic ended the previous process")
			assert.Equal(t, tc.typ, res.Error.Type)
			assert.Contains(t, res.Error.Message, tc.msg)
			assert.Contains(t, string(res.Error.StackTrace), `"label":"`+tc.frame+`"`, "the stack trace still names where the handler panicked")

			logs.waitFor(t, "cleanup "+res.RequestID)
			dir := logs.value(t, "tmpdir ")
			gone(t, dir)
		})
	}
	emptyDir(t, tmp)
}
