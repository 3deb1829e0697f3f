package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/events"
)

func TestCrosstalkFindsPreviousCallersValue(t *testing.T) {
	evs, err := events.Sample(events.DefaultSample)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	var c crosstalk
	_, found := c.check(job{n: 1, total: 2, ev: evs[0]}, "req-1", []byte(`{"statusCode":200,"body":"coldstart"}`))
	assert.False(t, found)
	f, found := c.check(job{n: 2, total: 2, ev: evs[1]}, "req-2", []byte(`{"statusCode":200,"body":"warmstart, message=hoge"}`))
	require.True(t, found)
	assert.Equal(t, "response", f.Path)
	assert.Contains(t, f.Detail, "invocation 1")
	assert.NotContains(t, f.Detail, "hoge")

	_, found = c.check(job{n: 3, total: 3, ev: evs[1]}, "req-3", []byte(`{"statusCode":200,"body":"message=fuga"}`))
	assert.False(t, found, "its own value is not crosstalk")
}
