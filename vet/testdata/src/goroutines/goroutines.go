package goroutines

import (
	"context"
	"sync"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

var lastSeen string

func audit(msg string) {
	lastSeen = msg // want `write to package-level variable lastSeen: .* \(handler handle: handle → go audit\)`
}

func handle(ctx context.Context, msg string) (string, error) {
	go audit(msg) // want `goroutine started and not joined before the handler returns.*use scope.Go or wait for it \(handler handle: handle\)`
	go func() {   // want `goroutine started and not joined`
		_ = msg
	}()
	joined(msg)
	withChannel(msg)
	<-start(msg)
	spawn(msg)
	scope.From(ctx).Go(func(context.Context) error { return nil })
	return msg, nil
}

// joined waits for what it starts: not reported.
func joined(msg string) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = msg
	}()
	wg.Wait()
}

// withChannel receives the goroutine's result: not reported.
func withChannel(msg string) string {
	done := make(chan string)
	go func() { done <- msg }()
	return <-done
}

// start returns before its goroutine ends, but its caller waits for it:
// not reported.
func start(msg string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		_ = msg
		close(done)
	}()
	return done
}

// spawn starts a goroutine nobody on the path waits for.
func spawn(msg string) {
	go audit(msg) // want `goroutine started and not joined .* \(handler handle: handle → spawn\)`
}

func Main() {
	go audit("started before the handler") // main's goroutine: not reported
	guard.Start(handle)
}
