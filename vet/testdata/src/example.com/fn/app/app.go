// Package app's handler calls into store, another package of its module.
package app

import (
	"context"

	"github.com/lambdaguard/lambdaguard/guard"

	"example.com/fn/store"
)

func handle(ctx context.Context, msg string) (string, error) {
	store.Put(msg, msg)  // want `map insert into package-level variable store.cache: .*, at store.go:18:7 \(handler handle: handle → store.Put → store.remember\)` `write to package-level variable store.last: .*, at store.go:19:2 \(handler handle: handle → store.Put → store.remember\)`
	_ = store.Spool(msg) // want `os.WriteFile creates a file under the process temp dir.*, at store.go:27:21 \(handler handle: handle → store.Spool\)`
	store.DB{}.Save(msg) // want `write to package-level variable store.last: .*, at store.go:56:28 \(handler handle: handle → store.DB.Save\)`
	p := &store.Pool{}
	p.Go(func() {})
	p.Wait()
	store.Detach(msg) // want `goroutine started and not joined .*, at store.go:\d+:\d+ \(handler handle: handle → store.Detach\)`
	return store.Get(msg), nil
}

func start() {
	store.Put("set", "before the handler starts") // not reported
	guard.Start(handle)
}
