package reliability_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// debugLastJob is the function a new user wrote: the last job of each
// subject, kept across invocations in a map nobody registered with Watch.
var (
	debugLastJobMu sync.Mutex
	debugLastJob   = map[string]string{}
)

// renderJob answers with the subject's previous job and keeps this one. An
// anonymous caller's subject is "": all anonymous callers share one entry.
func renderJob(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	sub := ""
	if a := req.RequestContext.Authorizer; a != nil && a.JWT != nil {
		sub = a.JWT.Claims["sub"]
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest}, nil
		}
	}
	var job struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &job); err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest}, nil
	}
	debugLastJobMu.Lock()
	previous := debugLastJob[sub]
	debugLastJob[sub] = job.URL
	debugLastJobMu.Unlock()
	b, err := json.Marshal(map[string]string{"previous": previous})
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(b)}, err
}

// jobRequest is an API Gateway v2 request with the JSON body {"url": url},
// from the JWT subject sub, anonymous when sub is "".
func jobRequest(sub, url string, b64 bool) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		RouteKey: "POST /render",
		RawPath:  "/render",
		Body:     fmt.Sprintf(`{"url":%q}`, url),
	}
	req.RequestContext.HTTP.Method = http.MethodPost
	if sub != "" {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": sub}},
		}
	}
	if b64 {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(req.Body)), true
	}
	return req
}

// TestDebugWarmStartServesPreviousJobFromBody: callers 2 and 3 are
// anonymous, so the third gets the second's job back: its response carries
// a URL that came in the second request's JSON body, and guardtest reports
// it on invocation 3 — with a plain body and a base64 one.
func TestDebugWarmStartServesPreviousJobFromBody(t *testing.T) {
	for _, b64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("base64=%v", b64), func(t *testing.T) {
			debugLastJobMu.Lock()
			clear(debugLastJob)
			debugLastJobMu.Unlock()
			results, err := guardtest.Check(guardtest.Config{GuardOptions: []guard.Option{guard.WithLogger(discardLogger())}}, renderJob,
				jobRequest("user-7f3e21", "https://assets.example.com/render/alpha-1138", b64),
				jobRequest("", "https://assets.example.com/render/bravo-2271", b64),
				jobRequest("", "https://assets.example.com/render/charlie-3304", b64),
			)
			require.NoError(t, err)
			require.Contains(t, results[2].Output.Body, "bravo-2271", "the warm start happens")
			assert.True(t, slices.ContainsFunc(results[2].Findings, func(f guard.Finding) bool { return f.Kind == guard.KindTaint }),
				"invocation 3's response carries invocation 2's URL:\n%s", guardtest.Describe(results))
		})
	}
}

// TestDebugRecommendedSetupNoFindings: the setup the documentation
// recommends — an OTLP/HTTP exporter behind tracing.NewSpanProcessor, a
// shared client around tracing.NewClient, another shared client, both
// calling a test's own httptest server — gives no finding, 16 invocations 4
// at a time, 5 runs in a row.
func TestDebugRecommendedSetupNoFindings(t *testing.T) {
	var exported atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		exported.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "pong")
	}))
	defer backend.Close()

	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(collector.URL+"/v1/traces"))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exp)))
	defer func() { require.NoError(t, tp.Shutdown(ctx)) }()
	opts := []tracing.Option{tracing.WithTracerProvider(tp)}
	clients := []*guard.SharedResource[*http.Client]{
		guard.SharedHTTPClient("debug-recommended-traced", time.Minute, tracing.NewClient(opts...)),
		guard.SharedHTTPClient("debug-recommended-plain", time.Minute, nil),
	}
	defer func() { require.NoError(t, guard.CloseShared(ctx)) }()

	ping := func(ctx context.Context, caller string) (string, error) {
		for _, c := range clients {
			hc, err := c.Get(ctx)
			if err != nil {
				return "", err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, backend.URL+"/ping?caller="+caller, nil)
			if err != nil {
				return "", err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return "", err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return "pong", nil
	}
	callers := make([]string, 16)
	for i := range callers {
		callers[i] = fmt.Sprintf("caller-%02d", i)
	}
	for run := 1; run <= 5; run++ {
		results, err := guardtest.Check(guardtest.Config{
			Concurrency:  4,
			GuardOptions: []guard.Option{tracing.WithTracing(opts...), guard.WithLogger(discardLogger())},
		}, ping, callers...)
		require.NoError(t, err)
		for _, r := range results {
			require.NoError(t, r.Err)
		}
		if d := guardtest.Describe(results); d != "" {
			t.Fatalf("run %d of 5: %s", run, clip(d, 12, 0))
		}
	}
	assert.NotZero(t, exported.Load(), "spans reached the collector")
}

// debugFake is a shared resource that knows whether it was closed.
type debugFake struct{ closed atomic.Bool }

// TestDebugGuardtestTempDirAndFreshShared: guardtest points TMPDIR at its
// temp base for the run, so a file the handler leaves with
// os.CreateTemp("", …) is reported; and it resets the shared resources at
// the end of a run, so the next run builds a fresh one instead of getting
// the first run's, closed or not.
func TestDebugGuardtestTempDirAndFreshShared(t *testing.T) {
	t.Run("os.CreateTemp", func(t *testing.T) {
		var made []string
		defer func() {
			for _, p := range made {
				_ = os.Remove(p)
			}
		}()
		results, err := guardtest.Check(guardtest.Config{GuardOptions: []guard.Option{guard.WithLogger(discardLogger())}},
			func(ctx context.Context, _ string) (string, error) {
				f, err := os.CreateTemp("", "x-*")
				if err != nil {
					return "", err
				}
				made = append(made, f.Name())
				return "ok", f.Close()
			}, "go")
		require.NoError(t, err)
		require.NoError(t, results[0].Err)
		assert.True(t, slices.ContainsFunc(results[0].Findings, func(f guard.Finding) bool { return f.Kind == guard.KindTempFile }),
			"the file left in TMPDIR (%v) is reported:\n%s", made, guardtest.Describe(results))
	})

	t.Run("shared resources", func(t *testing.T) {
		res := guard.NewShared("debug-fake", func(context.Context) (*debugFake, error) { return &debugFake{}, nil },
			guard.WithClose(func(_ context.Context, f *debugFake) error { f.closed.Store(true); return nil }))
		defer func() { _ = res.Close(context.Background()) }()
		// The handler notes whether what it got was closed at the time it
		// used it: the second test's invocations used the first test's
		// closed fake.
		var usedClosed atomic.Bool
		get := func(ctx context.Context, _ string) (*debugFake, error) {
			f, err := res.Get(ctx)
			if err == nil && f.closed.Load() {
				usedClosed.Store(true)
			}
			return f, err
		}
		cfg := guardtest.Config{GuardOptions: []guard.Option{guard.WithLogger(discardLogger())}}
		first := guardtest.RunConfig(t, cfg, get, "first")[0].Output
		second := guardtest.RunConfig(t, cfg, get, "second")[0].Output
		require.NotNil(t, first)
		require.NotNil(t, second)
		assert.NotSame(t, first, second, "the second run builds its own")
		assert.False(t, usedClosed.Load(), "no invocation got a closed one")
		assert.True(t, first.closed.Load(), "the first run's was closed at its end")
	})
}
