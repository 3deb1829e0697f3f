package reliability_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/scope"
)

type concEvent struct {
	N      int    `json:"n"`
	Secret string `json:"secret"`
}

type concResponse struct {
	N          int    `json:"n"`
	Secret     string `json:"secret"`     // read back from the scope
	File       string `json:"file"`       // read back from the temp dir
	Background string `json:"background"` // what background work of the invocation saw
	Dir        string `json:"dir"`
}

var concSecret = scope.NewKey[string]("secret")

// concHandler keeps its request's secret in the scope, in a file of its temp
// directory and in background work, yielding between each step so that
// invocations interleave, and answers with what it reads back.
func concHandler(ctx context.Context, ev concEvent) (concResponse, error) {
	r := concResponse{N: ev.N}
	if err := concSecret.Set(ctx, ev.Secret); err != nil {
		return r, err
	}
	root, err := guard.TempRoot(ctx)
	if err != nil {
		return r, err
	}
	r.Dir, _ = guard.TempDir(ctx)
	if err := root.WriteFile("secret", []byte(ev.Secret), 0o600); err != nil {
		return r, err
	}
	seen := make(chan string, 1)
	err = scope.From(ctx).Go(func(context.Context) error {
		runtime.Gosched()
		v, _ := concSecret.Get(ctx)
		b, err := root.ReadFile("secret")
		seen <- v + "|" + string(b)
		return err
	})
	if err != nil {
		return r, err
	}
	runtime.Gosched()
	r.Secret, _ = concSecret.Get(ctx)
	b, err := root.ReadFile("secret")
	r.File = string(b)
	r.Background = <-seen
	if entries, _ := fs.ReadDir(root.FS(), "."); len(entries) != 1 {
		return r, fmt.Errorf("the temp dir holds %d entries, not just this request's file", len(entries))
	}
	return r, err
}

func concEvents(n int) []concEvent {
	evs := make([]concEvent, n)
	for i := range evs {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		evs[i] = concEvent{N: i, Secret: fmt.Sprintf("secret-%04d-%s", i, hex.EncodeToString(b))}
	}
	return evs
}

// TestConcurrentNoCrossTalk runs 1,000 invocations, 8 at a time, in debug
// mode through guardtest: every response carries its own request's secret —
// from the scope, the temp file and the background work — and no other's;
// every invocation had its own directory; the guard found no leak.
func TestConcurrentNoCrossTalk(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	evs := concEvents(n)
	results := guardtest.RunConfig(t, guardtest.Config{
		Concurrency:  8,
		GuardOptions: []guard.Option{guard.WithLogger(discardLogger())},
	}, concHandler, evs...)
	dirs := map[string]int{}
	for i, r := range results {
		require.NoError(t, r.Err, "invocation %d", i)
		require.Nil(t, r.Panic, "invocation %d", i)
		want := evs[i].Secret
		assert.Equal(t, concResponse{N: i, Secret: want, File: want, Background: want + "|" + want, Dir: r.Output.Dir}, r.Output, "invocation %d", i)
		if prev, dup := dirs[r.Output.Dir]; dup {
			t.Errorf("invocations %d and %d shared %s", prev, i, r.Output.Dir)
		}
		dirs[r.Output.Dir] = i
	}
}

// TestConcurrentNoCrossTalkRaw sends the same through aws-lambda-go's
// handler as raw JSON, 8 goroutines at once with the guard out of debug mode
// (its fast path), and compares the decoded responses.
func TestConcurrentNoCrossTalkRaw(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	base := t.TempDir()
	wrapped := guard.Wrap(concHandler, guard.WithTempBase(base), guard.WithDebug(false))
	evs := concEvents(n)
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range 8 {
		wg.Go(func() {
			// One lambda.Handler per worker: the []byte its Invoke returns
			// lives in a pooled buffer that a concurrent Invoke reuses. The
			// guarded function is the same for all.
			h := lambda.NewHandler(wrapped)
			for i := range work {
				payload, _ := json.Marshal(evs[i])
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("raw-%04d", i)})
				out, err := h.Invoke(ctx, payload)
				if err != nil {
					errs <- fmt.Errorf("invocation %d: %w", i, err)
					continue
				}
				var r concResponse
				if err := json.Unmarshal(out, &r); err != nil {
					errs <- fmt.Errorf("invocation %d: %w", i, err)
					continue
				}
				s := evs[i].Secret
				if want := (concResponse{N: i, Secret: s, File: s, Background: s + "|" + s, Dir: r.Dir}); r != want {
					errs <- fmt.Errorf("invocation %d: cross-talk: got %+v, want %+v", i, r, want)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	emptyDir(t, base)
}
