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
// wrapped, in the order given (a later one overrides an earlier one);
// nothing is read from the environment per invocation. A nil Option is
// ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Options bundles opts into one Option, as a package that plugs into the
// guard (tracing.WithTracing) or a function's own defaults need.
func Options(opts ...Option) Option {
	return optionFunc(func(c *config) {
		for _, o := range opts {
			if o != nil {
				o.apply(c)
			}
		}
	})
}

type config struct {
	debug            bool
	tempBase         string
	logger           *slog.Logger
	reporter         func(Report)
	debugCfg         DebugConfig // Sample resolved into (0, 1]; IgnoreFD never nil
	middleware       []Middleware
	recordMiddleware []Middleware // see WithRecordMiddleware
	shutdown         []func(context.Context) error
	flush            []func(context.Context) error
	reserve          time.Duration // see WithCleanupReserve
	thaw             []thawHook    // see OnThaw
	limits           Limits        // see WithLimits
}

// cleanupTimeout bounds cleanup when the invocation has no deadline (tests,
// HTTP servers without one).
const cleanupTimeout = 10 * time.Second

func newConfig(opts []Option) *config {
	c := &config{
		debug:   os.Getenv("LAMBDAGUARD_DEBUG") == "1" || os.Getenv("LAMBDAGUARD_DEBUG") == "true",
		reserve: defaultReserve,
	}
	Options(opts...).apply(c)
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.debugCfg.Sample == 0 {
		c.debugCfg.Sample = sampleFromEnv(os.Getenv("LAMBDAGUARD_DEBUG_SAMPLE"))
	}
	c.debugCfg.Sample = min(c.debugCfg.Sample, 1)
	if c.debugCfg.Sample <= 0 {
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
	user := c.debugCfg.IgnoreFD
	c.debugCfg.IgnoreFD = func(target string) bool {
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
func WithDebug(on bool) Option { return optionFunc(func(c *config) { c.debug = on }) }

// DebugConfig tunes debug mode: WithDebug turns it on, WithReporter says
// where its reports go, and WithDebugConfig gives the rest. The zero value
// is the default.
type DebugConfig struct {
	// Sample is the fraction of invocations debug mode checks, in (0, 1],
	// chosen at random per invocation: cheap enough to leave on in
	// production. An invocation that is not checked costs what debug mode
	// off costs but for a counter. Below 1, watched variables without
	// GuardedBy are not checked (a goroutine left by an unchecked invocation
	// cannot be told apart from the process's own, and could be writing
	// them); each is named once in a detector finding. Zero means
	// LAMBDAGUARD_DEBUG_SAMPLE when it is set (for example 0.01), else 1; a
	// negative rate turns debug mode off.
	Sample float64
	// ShowValues makes reports print the values they found instead of a
	// redacted summary. For local debugging only: a report would then carry
	// the very data that leaked into the logs.
	ShowValues bool
	// IgnoreGoroutines leaves out of reports the goroutines whose entry
	// function starts with one of these prefixes (as in a stack trace:
	// "github.com/jackc/puddle/v2.(*Pool).backgroundHealthCheck"): workers
	// that a library starts during a request and keeps on purpose.
	IgnoreGoroutines []string
	// IgnoreEnv leaves the named environment variables out of reports.
	IgnoreEnv []string
	// IgnoreFD leaves out of reports the file descriptors for which it
	// returns true; it gets what the descriptor refers to, as /proc shows it
	// ("/var/task/data.db", "socket:[12345]"). Sockets dialled through
	// SharedDial are always left out.
	IgnoreFD func(target string) bool
}

// WithDebugConfig tunes debug mode; see DebugConfig. It does not turn debug
// mode on.
func WithDebugConfig(d DebugConfig) Option { return optionFunc(func(c *config) { c.debugCfg = d }) }

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
func WithTempBase(dir string) Option { return optionFunc(func(c *config) { c.tempBase = dir }) }

// WithLogger sets the logger of the guard's own messages: cleanup failures,
// sweeps, shutdown. The default is slog.Default() at the time of wrapping.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }

// WithMiddleware adds m around the handler, inside the invocation's scope:
// middleware sees InvocationFrom, TempDir and the scope, and runs before the
// scope's cleanups. The first middleware given is the outermost.
func WithMiddleware(m ...Middleware) Option {
	return optionFunc(func(c *config) { c.middleware = append(c.middleware, m...) })
}

// WithRecordMiddleware adds m around each record that the batch helpers
// (SQS, Kinesis, DynamoDB) process, inside the record's scope, with the
// record (an events.SQSMessage, an events.KinesisEventRecord, an
// events.DynamoDBEventRecord) as the event and nil as the result. The first
// given is the outermost. An error it returns fails the record.
func WithRecordMiddleware(m ...Middleware) Option {
	return optionFunc(func(c *config) { c.recordMiddleware = append(c.recordMiddleware, m...) })
}

// WithShutdown adds a hook that Start runs when the execution environment
// shuts down (SIGTERM). Hooks run in reverse order of registration and share
// a budget of about 500ms, the time Lambda gives before SIGKILL.
func WithShutdown(fn func(context.Context) error) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.shutdown = append(c.shutdown, fn)
		}
	})
}

// WithFlush adds a hook that runs after every invocation, once its scope has
// closed (background work drained, cleanups run) and before the result goes
// back: the place to flush what the process would otherwise hold while it
// is frozen, such as buffered spans or metrics. It runs in the invocation's
// goroutine with a context that ends just before the real deadline (and is
// not cancelled before then), and must honour it. Failures are logged; they do not change the result.
func WithFlush(fn func(context.Context) error) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.flush = append(c.flush, fn)
		}
	})
}
