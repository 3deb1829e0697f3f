package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

func TestHandle(t *testing.T) {
	base := t.TempDir()
	h := guard.Wrap(handle, guard.WithTempBase(base))
	for i, tc := range []struct {
		user, body string
		words      int
	}{
		{"alice", "one two\nthree", 3},
		{"", "four", 1},
	} {
		req := events.APIGatewayV2HTTPRequest{Body: tc.body, QueryStringParameters: map[string]string{"user": tc.user, "message": tc.body}}
		resp, err := h(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		var r reply
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &r))
		assert.Equal(t, tc.words, r.Words)
		assert.Equal(t, i == 0, r.Cold)
		assert.Equal(t, tc.body, r.Message, "each caller sees only their own message")
		if tc.user == "" {
			assert.Equal(t, "anonymous", r.Caller, "the previous caller is not remembered")
		}
	}
	left, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, left)
}
