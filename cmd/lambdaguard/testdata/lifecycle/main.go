// Command lifecycle is a guarded function for the lambdaguard command's tests: a shutdown
// hook (guard.WithShutdown) that says when it runs, and events that make it overstay its
// deadline or hold memory.
//
// Events: {"sleep_ms": N} sleeps N ms, past any deadline; {"ballast_mb": N} keeps N MiB,
// every page touched, so that the process's peak resident set is known; {"log": N} prints N
// numbered lines on stderr; {"panic": "why"} panics; {"env": ["NAME", ...]} answers those variables' values. It
// answers {"ok": true, "cold": …, "number": …} (the guard's view of the invocation), with
// "trace" and "client" (the X-Ray trace id and the client context's custom values it got)
// for {"context": true}.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
)

type event struct {
	SleepMS   int      `json:"sleep_ms"`
	BallastMB int      `json:"ballast_mb"`
	Log       int      `json:"log"`
	Panic     string   `json:"panic"`
	Context   bool     `json:"context"`
	Env       []string `json:"env"`
}

type reply struct {
	OK     bool              `json:"ok"`
	Cold   bool              `json:"cold"`
	Number uint64            `json:"number"`
	Env    map[string]string `json:"env,omitempty"`
	Trace  *string           `json:"trace,omitempty"`
	Client map[string]string `json:"client,omitempty"`
}

// ballast is kept on purpose: the memory the test measures.
var ballast [][]byte

func handle(ctx context.Context, ev event) (reply, error) {
	inv, _ := guard.InvocationFrom(ctx)
	for i := range ev.Log {
		fmt.Fprintf(os.Stderr, "lifecycle: invocation %d line %d\n", inv.Number, i)
	}
	if ev.Panic != "" {
		panic(ev.Panic)
	}
	if ev.BallastMB > 0 {
		b := make([]byte, ev.BallastMB<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		ballast = append(ballast, b)
	}
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond) // deaf to the deadline, as a stuck handler is
	}
	r := reply{OK: true, Cold: inv.ColdStart, Number: inv.Number}
	if ev.Context {
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		r.Trace = &trace
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			r.Client = lc.ClientContext.Custom
		}
	}
	for _, k := range ev.Env {
		if r.Env == nil {
			r.Env = map[string]string{}
		}
		r.Env[k] = os.Getenv(k)
	}
	return r, nil
}

func main() {
	guard.Start(handle, guard.WithShutdown(func(context.Context) error {
		fmt.Println("lifecycle: shutdown hook ran")
		return nil
	}))
}
