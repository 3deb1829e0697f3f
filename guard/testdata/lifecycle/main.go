// Command lifecycle is a bootstrap for guard's end-to-end test: it prints
// what the guard's lifecycle does — a thaw hook, a shared resource built and
// closed, the shutdown hooks on SIGTERM — for the test to read.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdaguard/lambdaguard/guard"
)

type resource struct{}

func (resource) Close() error { fmt.Println("shared resource closed"); return nil }

var res = guard.NewShared("resource", func(context.Context) (resource, error) {
	fmt.Println("shared resource built")
	return resource{}, nil
})

func handle(ctx context.Context, _ map[string]any) (string, error) {
	if _, err := res.Get(ctx); err != nil {
		return "", err
	}
	inv, _ := guard.InvocationFrom(ctx)
	return fmt.Sprintf("invocation %d", inv.Number), nil
}

func main() {
	guard.Start(handle,
		guard.OnThaw(500*time.Millisecond, func(_ context.Context, gap time.Duration) error {
			fmt.Println("thawed after a long gap")
			return nil
		}),
		guard.WithShutdown(func(context.Context) error {
			fmt.Println("shutdown hook ran") // stdout, as the others: one stream keeps the order
			return nil
		}))
}
