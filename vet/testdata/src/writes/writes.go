package writes

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdaguard/lambdaguard/guard"
)

type config struct {
	Token string
	Tags  []string
}

type store struct {
	m map[string]string
}

var (
	last     string
	count    int
	cache    = map[string]string{}
	seen     []string
	cfg      = &config{}
	table    [4]string
	ptr      = new(int)
	hits     atomic.Int64
	total    int64
	byID     sync.Map
	mu       sync.Mutex
	guarded  string
	global   = &store{m: map[string]string{}}
	counters = map[string]*config{}
)

func handle(ctx context.Context, msg string) (string, error) {
	prev := last
	last = msg                               // want `write to package-level variable last: it keeps its value into the next invocation \(handler handle: handle\)`
	count++                                  // want `write to package-level variable count`
	cache[msg] = prev                        // want `map insert into package-level variable cache`
	delete(cache, "old")                     // want `map delete from package-level variable cache`
	seen = append(seen, msg)                 // want `append to package-level variable seen`
	cfg.Token = msg                          // want `write to package-level variable cfg \(as cfg.Token\)`
	cfg.Tags[0] = msg                        // want `write to package-level variable cfg \(as cfg.Tags\[…\]\)`
	table[1] = msg                           // want `write to package-level variable table \(as table\[…\]\)`
	*ptr = len(msg)                          // want `write to package-level variable ptr`
	hits.Add(1)                              // want `atomic.Int64.Add on package-level variable hits`
	atomic.AddInt64(&total, 1)               // want `atomic.AddInt64 on package-level variable total`
	byID.Store(msg, prev)                    // want `sync.Map.Store on package-level variable byID`
	http.DefaultClient.Timeout = time.Second // want `write to package-level variable http.DefaultClient \(as http.DefaultClient.Timeout\)`
	counters["a"].Token = msg                // want `write to package-level variable counters \(as counters\[…\].Token\)`
	remember(msg)
	record(&table, msg)
	global.put(msg)
	mu.Lock()
	guarded = msg // want `write to package-level variable guarded`
	mu.Unlock()
	local := map[string]string{}
	local[msg] = prev
	return prev, nil
}

// remember is reached from the handler: its write is reported with the path.
func remember(msg string) {
	last = msg + "!" // want `write to package-level variable last: .* \(handler handle: handle → remember\)`
}

// record writes through its parameter, which the handler binds to a
// package-level variable.
func record(t *[4]string, msg string) {
	t[0] = msg // want `write to package-level variable table \(as t\[…\]\): .* \(handler handle: handle → record\)`
}

func (s *store) put(msg string) {
	s.m[msg] = msg // want `map insert into package-level variable global \(as s.m\): .* handle → \(\*store\).put`
}

// notReached writes a package-level variable, but no handler calls it.
func notReached() {
	last = "x"
}

func Main() {
	guard.Start(handle)
}

// Closure handlers: the variables they capture were made before the first
// invocation and live on.
func Closures() {
	n := 0
	var history []string
	guard.Start(func(ctx context.Context, msg string) (int, error) {
		n++                            // want `write to variable n captured by handler Closures.func1`
		history = append(history, msg) // want `append to variable history captured by handler Closures.func1`
		sum := 0
		for range 3 {
			sum++
		}
		return sum, nil
	})
}

type function struct {
	calls int
	db    map[string]string
}

func (f *function) handle(ctx context.Context, msg string) (string, error) {
	f.calls++          // want `write to the receiver of handler \(\*function\).handle \(as f.calls\)`
	f.db[msg] = "seen" // want `map insert into the receiver of handler \(\*function\).handle \(as f.db\)`
	return "", nil
}

// Methods: the receiver of a method value lives as long as the handler.
func Methods() {
	f := &function{db: map[string]string{}}
	guard.Start(f.handle)
}
