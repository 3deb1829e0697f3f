// Package clean does everything a handler may: none of it is reported.
package clean

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

var (
	// Set once, read by every invocation: read-only after init.
	wordRE  = regexp.MustCompile(`\w+`)
	client  = &http.Client{}
	started bool
	region  string

	// Scope keys: the values live in each invocation's scope.
	caller = scope.NewKey[string]("caller")

	// Shared on purpose, declared so with guard.Watch.
	pool = map[string]*http.Client{}

	// Shared on purpose, declared so with the directive.
	//lambdaguard:shared
	warm = map[string]bool{}

	hits int //lambdaguard:shared counted across invocations on purpose

	loadOnce sync.Once
	settings map[string]string
)

// Shared on purpose: every variable of the block.
//
//lambdaguard:shared
var (
	seenA int
	seenB []string
)

func init() {
	region = os.Getenv("AWS_REGION")
	started = true
	guard.Ignore("pool", &pool)
}

func load() {
	settings = map[string]string{"mode": "fast"}
}

func handle(ctx context.Context, body string) (int, error) {
	loadOnce.Do(load)
	loadOnce.Do(func() { settings["extra"] = "1" })
	if err := caller.Set(ctx, body); err != nil {
		return 0, err
	}
	words := wordRE.FindAllString(body, -1)
	_ = client
	pool["default"] = client
	warm[body] = true
	hits++
	seenA++
	seenB = append(seenB, body)

	dir, err := guard.TempDir(ctx)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "body.txt"), []byte(body), 0o600); err != nil {
		return 0, err
	}
	local := map[string]int{}
	for _, w := range words {
		local[w]++
	}
	return len(local), nil
}

func Main() {
	settings = map[string]string{}
	_ = os.Setenv("BEFORE_START", "1")
	guard.Start(handle)
}
