package guard

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Option configures a guard. Options are resolved once, when the handler is
// wrapped; nothing is read from the environment per invocation.
type Option func(*config)

type config struct {
	debug          bool
	tempBase       string
	logger         *slog.Logger
	reporter       func(Report)
	showValues     bool
	sample         float64 // fraction of invocations debug mode checks, in (0, 1]
	middleware     []Middleware
	cleanupTimeout time.Duration
	shutdown       []func(context.Context) error
	flush          []func(context.Context) error
	reserve        time.Duration // see WithCleanupReserve
	thaw           []thawHook    // see OnThaw
	limits         Limits        // see WithLimits

	ignoreGoroutines []string
	ignoreEnv        []string
	ignoreFD         func(target string) bool // never nil once resolved: shared sockets are always ignored
}

// defaultCleanupTimeout bounds cleanup when the invocation has no deadline
// (tests, HTTP servers without one).
const defaultCleanupTimeout = 10 * time.Second

func newConfig(opts []Option) *config {
	c := &config{
		debug:          os.Getenv("LAMBDAGUARD_DEBUG") == "1" || os.Getenv("LAMBDAGUARD_DEBUG") == "true",
		sample:         sampleFromEnv(os.Getenv("LAMBDAGUARD_DEBUG_SAMPLE")),
		cleanupTimeout: defaultCleanupTimeout,
		reserve:        defaultReserve,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.sample <= 0 {
		c.debug = false // a rate of 0 checks nothing: debug mode costs nothing then
	}
	if c.tempBase != "" {
		// Once, here: the temp dirs, the sweep and debug mode's checks must
		// all mean the same directory, whatever the working directory
		// becomes. Abs fails only when the working directory is gone, and
		// then so would every later use of the relative path.
		if abs, err := filepath.Abs(c.tempBase); err == nil {
			c.tempBase = abs
		}
	}
	c.limits = c.limits.withDefaults()
	// Sockets dialled through SharedDial belong to shared resources: never a leak.
	user := c.ignoreFD
	c.ignoreFD = func(target string) bool {
		return sharedSocket(target) || (user != nil && user(target))
	}
	return c
}

// WithDebug turns debug-mode leak detection on or off. Without this option it
// is on when the environment variable LAMBDAGUARD_DEBUG is "1" or "true" at
// the time the handler is wrapped. Debug mode costs a snapshot and a diff per
// invocation; off, it costs nothing. Its reads of watched variables without
// GuardedBy wait for moments when no handler of a guard in debug mode runs:
// a guard with debug mode off is not counted, so in a process that mixes the
// two, give such variables a GuardedBy lock.
func WithDebug(on bool) Option { return func(c *config) { c.debug = on } }

// WithDebugSample makes debug mode check a fraction of the invocations, rate
// in (0, 1], chosen at random per invocation: cheap enough to leave on in
// production. An invocation that is not checked costs what debug mode off
// costs but for a counter. Below 1, watched variables without GuardedBy are
// not checked (a goroutine left by an unchecked invocation cannot be told
// apart from the process's own, and could be writing them); each is named
// once in a detector finding. A rate of 0 or less turns debug mode off.
// Without this option the rate is LAMBDAGUARD_DEBUG_SAMPLE when it is set
// (for example 0.01), else 1.
func WithDebugSample(rate float64) Option {
	return func(c *config) { c.sample = min(rate, 1) }
}

// sampleFromEnv reads LAMBDAGUARD_DEBUG_SAMPLE: 1 when unset or malformed.
func sampleFromEnv(v string) float64 {
	if v == "" {
		return 1
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r != r {
		return 1
	}
	return min(r, 1)
}

// WithTempBase sets the directory under which each invocation's temp
// directory is made. The default is os.TempDir() (/tmp on Lambda). A
// relative dir is taken from the working directory at the time the
// handler is wrapped.
func WithTempBase(dir string) Option { return func(c *config) { c.tempBase = dir } }

// WithLogger sets the logger of the guard's own messages: cleanup failures,
// sweeps, shutdown. The default is slog.Default() at the time of wrapping.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithCleanupTimeout bounds the cleanup of an invocation whose context has no
// deadline. With a deadline, cleanup is bounded by the deadline itself.
// The default is 10s.
func WithCleanupTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.cleanupTimeout = d
		}
	}
}

// WithMiddleware adds m around the handler, inside the invocation's scope:
// middleware sees InvocationFrom, TempDir and the scope, and runs before the
// scope's cleanups. The first middleware given is the outermost.
func WithMiddleware(m ...Middleware) Option {
	return func(c *config) { c.middleware = append(c.middleware, m...) }
}

// WithShutdown adds a hook that Start runs when the execution environment
// shuts down (SIGTERM). Hooks run in reverse order of registration and share
// a budget of about 500ms, the time Lambda gives before SIGKILL.
func WithShutdown(fn func(context.Context) error) Option {
	return func(c *config) {
		if fn != nil {
			c.shutdown = append(c.shutdown, fn)
		}
	}
}

// WithIgnoreGoroutines leaves out of debug reports the goroutines whose entry
// function starts with one of prefixes (as in a stack trace:
// "github.com/jackc/puddle/v2.(*Pool).backgroundHealthCheck"): workers that a
// library starts during a request and keeps on purpose.
func WithIgnoreGoroutines(prefixes ...string) Option {
	return func(c *config) { c.ignoreGoroutines = append(c.ignoreGoroutines, prefixes...) }
}

// WithIgnoreEnv leaves the named environment variables out of debug reports.
func WithIgnoreEnv(names ...string) Option {
	return func(c *config) { c.ignoreEnv = append(c.ignoreEnv, names...) }
}

// WithIgnoreFD leaves out of debug reports the file descriptors for which fn
// returns true; fn gets what the descriptor refers to, as /proc shows it
// ("/var/task/data.db", "socket:[12345]").
func WithIgnoreFD(fn func(target string) bool) Option {
	return func(c *config) { c.ignoreFD = fn }
}

// WithFlush adds a hook that runs after every invocation, once its scope has
// closed (background work drained, cleanups run) and before the result goes
// back: the place to flush what the process would otherwise hold while it
// is frozen, such as buffered spans or metrics. It runs in the invocation's
// goroutine with a context that ends just before the real deadline (and is
// not cancelled before then), and must honour it. Failures are logged; they do not change the result.
func WithFlush(fn func(context.Context) error) Option {
	return func(c *config) {
		if fn != nil {
			c.flush = append(c.flush, fn)
		}
	}
}
