package guard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// TestConcurrentInvocationsDoNotCrossTalk runs many invocations at once in one
// process, as aws-lambda-go does with AWS_LAMBDA_MAX_CONCURRENCY > 1. Each
// stores its own value in the scope and its own file in its temp dir, yields
// so that others interleave, then checks it still sees only its own.
func TestConcurrentInvocationsDoNotCrossTalk(t *testing.T) {
	const invocations, parallel = 400, 32
	base := t.TempDir()
	secret := scope.NewKey[string]("secret")
	// The wrapped function is called the way aws-lambda-go's runtime loop
	// calls it: decode, invoke, encode. (lambda.NewHandler(...).Invoke is not
	// used here: it returns a pooled buffer that a concurrent call reuses.)
	wrapped := guard.Wrap(func(ctx context.Context, ev event) (result, error) {
		if err := secret.Set(ctx, ev.Payload); err != nil {
			return result{}, err
		}
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return result{}, err
		}
		if err := root.WriteFile("secret", []byte(ev.Payload), 0o600); err != nil {
			return result{}, err
		}
		// Background work and a cleanup that read the scope later on.
		var fromWork string
		_ = scope.From(ctx).Go(func(context.Context) error {
			v, _ := secret.Get(ctx)
			fromWork = v
			return nil
		})
		runtime.Gosched()
		got, _ := secret.Get(ctx)
		b, err := root.ReadFile("secret")
		if err != nil {
			return result{}, err
		}
		dir, _ := guard.TempDir(ctx)
		names, _ := os.ReadDir(dir)
		if len(names) != 1 {
			return result{}, fmt.Errorf("directory holds %d entries, want only this invocation's file", len(names))
		}
		_ = scope.From(ctx).OnClose(func(context.Context) error {
			if fromWork != ev.Payload {
				return fmt.Errorf("background work saw %q, want %q", fromWork, ev.Payload)
			}
			return nil
		})
		inv, _ := guard.InvocationFrom(ctx)
		return result{Dir: dir, Read: string(b), Value: got, RequestID: inv.RequestID}, nil
	}, guard.WithTempBase(base))
	invoke := func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		r, err := wrapped(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	}

	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	dirs := map[string]bool{}
	for i := range invocations {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id := fmt.Sprintf("req-%04d", i)
			payload, _ := json.Marshal(event{ID: id, Payload: "payload-of-" + id})
			out, err := invoke(lambdaCtx(id), payload)
			if !assert.NoError(t, err) {
				return
			}
			var r result
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, "payload-of-"+id, r.Value, "scope value")
			assert.Equal(t, "payload-of-"+id, r.Read, "temp file")
			assert.Equal(t, id, r.RequestID)
			mu.Lock()
			assert.False(t, dirs[r.Dir], "directory reused: %s", r.Dir)
			dirs[r.Dir] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.Len(t, dirs, invocations)
	left, err := filepath.Glob(filepath.Join(base, "*"))
	require.NoError(t, err)
	assert.Empty(t, left, "every directory wiped")
}
