package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

func TestQuotaWarnings(t *testing.T) {
	writeTemp := func(n int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			dir, err := guard.TempDir(ctx)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "blob"), make([]byte, n), 0o600)
		}
	}
	nothing := func(context.Context) error { return nil }
	cases := []struct {
		name     string
		limits   guard.Limits
		do       func(ctx context.Context) error
		response int
		want     string // the quota warned about; "" for none
	}{
		{"temp near its size", guard.Limits{TempBytes: 1000, FDs: -1}, writeTemp(900), 0, "temp"},
		{"temp well under", guard.Limits{TempBytes: 1000, FDs: -1}, writeTemp(100), 0, ""},
		{"temp at a custom fraction", guard.Limits{TempBytes: 1000, FDs: -1, WarnAt: 0.5}, writeTemp(600), 0, "temp"},
		{"temp check off", guard.Limits{TempBytes: -1, FDs: -1}, writeTemp(900), 0, ""},
		{"file descriptors", guard.Limits{FDs: 4}, nothing, 0, "fds"}, // a test process holds more than 4
		{"response", guard.Limits{ResponseBytes: 1000, FDs: -1}, nothing, 950, "response"},
		{"response under", guard.Limits{ResponseBytes: 1000, FDs: -1}, nothing, 10, ""},
		{"defaults", guard.Limits{}, writeTemp(100), 100, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := guard.WrapHandler(lambda.NewHandler(func(ctx context.Context) (string, error) {
				if err := tc.do(ctx); err != nil {
					return "", err
				}
				return strings.Repeat("x", tc.response), nil
			}), guard.WithTempBase(t.TempDir()), guard.WithLimits(tc.limits),
				guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			_, err := h.Invoke(lambdaCtx("quota"), []byte(`{}`))
			require.NoError(t, err)
			if tc.want == "" {
				assert.NotContains(t, logs.String(), `"quota"`)
				return
			}
			assert.Contains(t, logs.String(), `"level":"WARN"`)
			assert.Contains(t, logs.String(), `"quota":"`+tc.want+`"`)
			assert.Contains(t, logs.String(), `"requestId":"quota"`)
		})
	}
}

// TestResponseMeasuredInDebugMode: a typed result is measured by its JSON
// encoding when debug mode is on.
func TestResponseMeasuredInDebugMode(t *testing.T) {
	var logs bytes.Buffer
	h := guard.Wrap(func(context.Context, event) (result, error) {
		return result{Read: strings.Repeat("y", 990)}, nil
	}, guard.WithTempBase(t.TempDir()), guard.WithDebug(true), guard.WithLimits(guard.Limits{ResponseBytes: 1000, FDs: -1}),
		guard.WithReporter(func(guard.Report) {}),
		guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	_, err := h(lambdaCtx("typed"), event{})
	require.NoError(t, err)
	assert.Contains(t, logs.String(), `"quota":"response"`)
}

// TestResponseOfPlainWrapChecked: a handler wrapped by Wrap alone (no
// middleware, debug off) has its bytes or string result checked too, as
// Limits.ResponseBytes says; another result is left alone outside debug
// mode, where measuring it would mean encoding it.
func TestResponseOfPlainWrapChecked(t *testing.T) {
	big := strings.Repeat("z", 950)
	cases := []struct {
		name string
		call func(opts ...guard.Option) error
		want bool // whether a response warning is logged
	}{
		{"string", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) (string, error) { return big, nil }, opts...)(lambdaCtx("plain"), event{})
			return err
		}, true},
		{"bytes", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) ([]byte, error) { return []byte(big), nil }, opts...)(lambdaCtx("plain"), event{})
			return err
		}, true},
		{"raw JSON", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) (json.RawMessage, error) {
				return json.RawMessage(`"` + big + `"`), nil
			}, opts...)(lambdaCtx("plain"), event{})
			return err
		}, true},
		{"bytes in an interface", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) (any, error) { return []byte(big), nil }, opts...)(lambdaCtx("plain"), event{})
			return err
		}, true},
		{"small string", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) (string, error) { return "small", nil }, opts...)(lambdaCtx("plain"), event{})
			return err
		}, false},
		{"struct, debug off", func(opts ...guard.Option) error {
			_, err := guard.Wrap(func(context.Context, event) (result, error) { return result{Read: big}, nil }, opts...)(lambdaCtx("plain"), event{})
			return err
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			err := tc.call(guard.WithTempBase(t.TempDir()), guard.WithDebug(false),
				guard.WithLimits(guard.Limits{ResponseBytes: 1000, FDs: -1}),
				guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			require.NoError(t, err)
			if !tc.want {
				assert.NotContains(t, logs.String(), `"quota"`)
				return
			}
			assert.Contains(t, logs.String(), `"quota":"response"`)
			assert.Contains(t, logs.String(), `"requestId":"plain"`)
		})
	}
}
