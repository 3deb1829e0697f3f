package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/tmpfs"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// maxPayload is Lambda's limit on a synchronous request: 6 MB.
const maxPayload = runtimeapi.MaxPayloadSize

// hostileIDs are request ids no real Lambda sends, but a runner, a test or
// an HTTP adapter header may.
var hostileIDs = []string{
	"../../etc", "/etc/passwd", "..", ".", "\x00", "req\x00id", "-rf", "--", "\n", "line\nbreak",
	"\xff\xfe", "\u202e", "", " ", strings.Repeat("A", 10<<10), strings.Repeat("../", 3000),
	`"}{"injected":true`, "%2e%2e%2f",
}

// hostileTraceHeaders are X-Ray and W3C headers as an attacker would send them.
var hostileTraceHeaders = []string{
	"", ";;;", "Root=", "Root=../../etc;Parent=\x00;Sampled=1",
	"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" + strings.Repeat(";x=y", 5000),
	strings.Repeat("Root=1-", 2000), "Root=1-zzzzzzzz-zzzzzzzzzzzzzzzzzzzzzzzz;Parent=zzzzzzzzzzzzzzzz",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-0000000000000000-01",
	"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", strings.Repeat("\xff", 10<<10),
}

type tracedEvent struct {
	Message string `json:"message"`
}

// lastRequestID is where hostileHandler leaves each request's id: state that
// outlives the invocation, reported by the guard once the variable is
// watched (TestHostileRequestIDs does).
var lastRequestID string

// hostileHandler is a guarded, traced, debug-mode function as users deploy
// it: it takes its temp dir, so a hostile id reaches tmpfs, and reports
// where it was made. Reports are dropped unless opts set a reporter.
func hostileHandler(t testing.TB, base string, opts ...guard.Option) lambda.Handler {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	inner := lambda.NewHandler(func(ctx context.Context, ev tracedEvent) (string, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			lastRequestID = lc.AwsRequestID
		}
		dir, err := guard.TempDir(ctx)
		if err != nil {
			return "", err
		}
		return dir, nil
	})
	return guard.WrapHandler(inner, append([]guard.Option{
		guard.WithTempBase(base),
		guard.WithLogger(discardLogger()),
		guard.WithDebug(true),
		guard.WithReporter(func(guard.Report) {}),
		tracing.WithTracing(tracing.WithTracerProvider(tp)),
	}, opts...)...)
}

func lambdaCtx(id, trace string) context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       id,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:" + id,
	})
	//lint:ignore SA1029 aws-lambda-go's own key is this plain string
	return context.WithValue(ctx, "x-amzn-trace-id", trace)
}

// TestHostileRequestIDs: whatever the request id, the invocation's directory
// is made under the base with a sanitised name, and the id reaches the
// invocation's report unchanged, which JSON encodes harmlessly: one line,
// no raw control characters, the id read back as it was (invalid UTF-8 as
// U+FFFD).
func TestHostileRequestIDs(t *testing.T) {
	guard.Watch("lastRequestID", &lastRequestID)
	t.Cleanup(func() { lastRequestID = "" })
	base := t.TempDir()
	var mu sync.Mutex
	var reports []guard.Report
	h := hostileHandler(t, base, guard.WithReporter(func(r guard.Report) { mu.Lock(); defer mu.Unlock(); reports = append(reports, r) }))
	for _, id := range hostileIDs {
		var out []byte
		var err error
		p := recoverFrom(func() { out, err = h.Invoke(lambdaCtx(id, ""), []byte(`{"message":"hi"}`)) })
		require.Nil(t, p, "%q: panic", id)
		require.NoError(t, err, "%.40q", id)
		var dir string
		require.NoError(t, json.Unmarshal(out, &dir))
		assert.Equal(t, base, filepath.Dir(dir), "%.40q: the directory left the base", id)
		name := filepath.Base(dir)
		assert.True(t, strings.HasPrefix(name, tmpfs.Prefix), "%.40q: %s", id, name)
		assert.LessOrEqual(t, len(name), 100, "%.40q", id)
		assert.NotContains(t, name[len(tmpfs.Prefix):], ".", "%.40q", id)
		gone(t, dir)

		mu.Lock()
		got := reports
		reports = nil
		mu.Unlock()
		require.Len(t, got, 1, "%.40q: the leak into lastRequestID is reported", id)
		r := got[0]
		if id != "" { // an empty id is replaced by a random one
			assert.Equal(t, id, r.InvocationID, "%.40q: the report names the request as it came", id)
		}
		line, err := json.Marshal(r)
		require.NoError(t, err, "%.40q", id)
		assert.True(t, json.Valid(line), "%.40q", id)
		assert.False(t, bytes.ContainsAny(line, "\n\r\x00"), "%.40q: the report stays one line: %.200s", id, line)
		var back guard.Report
		require.NoError(t, json.Unmarshal(line, &back), "%.40q", id)
		if utf8.ValidString(r.InvocationID) {
			assert.Equal(t, r.InvocationID, back.InvocationID, "%.40q", id)
		} else {
			assert.True(t, utf8.ValidString(back.InvocationID), "%.40q", id)
		}
	}
	emptyDir(t, base)
}

// TestHostilePayloads sends what no well-formed trigger sends: invalid JSON,
// the wrong JSON type, deep nesting, a 6 MB payload, and trigger events whose
// trace headers are hostile. Each ends with the function's own error or
// result, never a panic, and nothing left in the temp base.
func TestHostilePayloads(t *testing.T) {
	base := t.TempDir()
	h := hostileHandler(t, base)

	// (aws-lambda-go decodes with a json.Decoder: trailing data after a
	// complete value is not an error, so it is not in this list.)
	invalid := []string{"", "{", `{"message":`, "\xff\xfe", "nul", `{"message":1}`, `[`, strings.Repeat("[", 100000)}
	for _, p := range invalid {
		var err error
		pv := recoverFrom(func() { _, err = h.Invoke(lambdaCtx("bad-json", ""), []byte(p)) })
		require.Nil(t, pv, "%.40q: panic", p)
		require.Error(t, err, "%.40q", p)
	}

	big := `{"message":"` + strings.Repeat("x", maxPayload-len(`{"message":""}`)) + `"}`
	require.Len(t, big, maxPayload)
	var valid [][]byte
	valid = append(valid, []byte(big), []byte(`{"message":"\u0000\ud800"}`), []byte(`null`))
	for _, hdr := range hostileTraceHeaders {
		api := events.APIGatewayV2HTTPRequest{
			RouteKey: "GET /" + hdr,
			RawPath:  "/" + hdr,
			Headers: map[string]string{
				"traceparent": hdr, "x-amzn-trace-id": hdr, "tracestate": hdr, "baggage": hdr,
			},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: hdr}},
		}
		sqs := events.SQSEvent{Records: []events.SQSMessage{{
			EventSource:       "aws:sqs",
			EventSourceARN:    hdr,
			Attributes:        map[string]string{"AWSTraceHeader": hdr},
			MessageAttributes: map[string]events.SQSMessageAttribute{"traceparent": {DataType: "String", StringValue: &hdr}},
		}}}
		for _, ev := range []any{api, sqs} {
			b, err := json.Marshal(ev)
			require.NoError(t, err)
			valid = append(valid, b)
		}
	}
	for i, p := range valid {
		trace := hostileTraceHeaders[i%len(hostileTraceHeaders)]
		var err error
		pv := recoverFrom(func() { _, err = h.Invoke(lambdaCtx("hostile", trace), p) })
		require.Nil(t, pv, "payload %d: panic", i)
		require.NoError(t, err, "payload %d", i)
	}
	emptyDir(t, base)
}

// TestHostileHTTPHeaders sends hostile request-id headers to guard.HTTP, as
// an HTTP adapter would pass them on.
func TestHostileHTTPHeaders(t *testing.T) {
	base := t.TempDir()
	h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dir, err := guard.TempDir(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(dir))
	}), guard.WithTempBase(base), guard.WithLogger(discardLogger()))
	for _, id := range hostileIDs {
		for _, hdr := range []http.Header{
			{"X-Amzn-Requestid": {id}},
			{"X-Amzn-Lambda-Context": {`{"request_id":` + mustQuote(id) + `}`}},
			{"X-Amzn-Lambda-Context": {id}},
		} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header = hdr
			rec := httptest.NewRecorder()
			p := recoverFrom(func() { h.ServeHTTP(rec, req) })
			require.Nil(t, p, "%.40q: panic", id)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, base, filepath.Dir(rec.Body.String()), "%.40q", id)
		}
	}
	emptyDir(t, base)
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestHostileThroughRuntime sends invalid JSON and a 6 MB event to a real
// guarded bootstrap: the one fails with aws-lambda-go's error and keeps the
// process, the other arrives whole; a payload over 6 MB is refused before it
// reaches the function.
func TestHostileThroughRuntime(t *testing.T) {
	tmp := t.TempDir()
	f, err := runtimeapi.Start(bootstrap(t), runtimeapi.Config{Name: "hostile", TempDir: tmp})
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()

	res, err := f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":`)})
	require.NoError(t, err)
	require.NotNil(t, res.Error)
	assert.Contains(t, res.Error.Message, "unexpected EOF", "aws-lambda-go's own decoding error")

	pad := strings.Repeat("p", maxPayload-len(`{"action":"tmp","message":""}`))
	res, err = f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":"tmp","message":"` + pad + `"}`)})
	require.NoError(t, err)
	require.Nil(t, res.Error, "a 6 MB event is served")
	assert.False(t, res.ColdStart, "invalid JSON did not end the process")

	_, err = f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":"tmp","message":"` + pad + `x"}`)})
	assert.Error(t, err, "over 6 MB is refused")
	emptyDir(t, tmp)
}
