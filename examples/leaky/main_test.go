package main

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

func request(message string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              "GET /",
		RawPath:               "/",
		RawQueryString:        "message=" + message,
		QueryStringParameters: map[string]string{"message": message},
	}
}

// TestGuardtestCatchesEveryBug runs the classic scenario: hoge, then fuga.
func TestGuardtestCatchesEveryBug(t *testing.T) {
	t.Cleanup(func() {
		lastMessage = ""
		os.Unsetenv("LEAKY_LAST_MESSAGE")
	})
	// The handler writes to os.TempDir(): guardtest points TMPDIR at the
	// guard's temp base for the run, so the stray file is seen.
	results, err := guardtest.Check(guardtest.Config{}, handle, request("hoge"), request("fuga"))
	require.NoError(t, err)
	require.Len(t, results, 2)
	assert.Equal(t, "coldstart", results[0].Output.Body)
	assert.Equal(t, "warmstart, message=hoge", results[1].Output.Body)

	// Names built from data are scrubbed of every request string, the
	// query's key "message" included: the stray file shows as
	// leaky-last-<redacted(...)>.txt.
	kinds := func(fs []guard.Finding) map[guard.Kind][]string {
		m := map[guard.Kind][]string{}
		for _, f := range fs {
			name := f.Name
			if strings.HasPrefix(name, "leaky-last-") && strings.HasSuffix(name, ".txt") {
				name = "leaky-last-message.txt"
			}
			m[f.Kind] = append(m[f.Kind], name)
		}
		return m
	}
	first := kinds(results[0].Findings)
	assert.Contains(t, first[guard.KindGlobal], "lastMessage", "the global is reported after the first call")
	assert.Contains(t, first[guard.KindEnv], "LEAKY_LAST_MESSAGE")
	assert.Contains(t, first[guard.KindTempFile], "leaky-last-message.txt")
	assert.Len(t, first[guard.KindGoroutine], 1)
	assert.NotEmpty(t, first[guard.KindTaint])

	second := kinds(results[1].Findings)
	assert.Contains(t, second[guard.KindTaint], "response", "the second response carries the first caller's message")
	assert.Contains(t, second[guard.KindTempFile], "leaky-last-message.txt", "rewriting the stray file is seen too")

	text := guardtest.Describe(results)
	t.Log(text)
	assert.NotContains(t, text, "hoge", "the report never prints the leaked value")
	assert.NotContains(t, text, "fuga")
	assert.True(t, strings.Contains(text, "warm start served a previous caller's value"))
}
