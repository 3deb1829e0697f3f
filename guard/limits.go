package guard

import (
	"context"
	"encoding"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// Limits are the Lambda quotas the guard watches. After each invocation it
// logs a warning through its logger when one is nearly used up — at WarnAt
// of it or more — where a user would otherwise learn of it from a failed
// request: "no space left on device", "too many open files",
// Function.ResponseSizeTooLarge.
type Limits struct {
	// TempBytes is the size of the temp base (/tmp: 512 MB unless the
	// function's ephemeral storage was raised, up to 10 GB). Checked against
	// what the invocation's own temp directory holds when it is wiped.
	TempBytes int64
	// FDs is the number of file descriptors a Lambda process may hold open
	// (1024). Checked against the descriptors open when an invocation ends,
	// at most once a second: counting them takes four system calls, which
	// an invocation that opens nothing should not pay each time.
	FDs int
	// ResponseBytes is the largest synchronous response Lambda accepts
	// (6 MB). Checked against a []byte, string or json.RawMessage result
	// always, and in debug mode against the JSON encoding of any other result
	// of a handler wrapped by Wrap or Start.
	ResponseBytes int
	// WarnAt is the fraction of a limit from which a warning is logged;
	// default 0.8.
	WarnAt float64
}

// Lambda's quotas, the defaults of Limits.
const (
	defaultTempBytes     = 512 << 20
	defaultFDs           = 1024
	defaultResponseBytes = 6 << 20
	defaultWarnAt        = 0.8
)

// WithLimits sets the quotas the guard warns about. A zero field keeps its
// default; a negative one turns that check off.
func WithLimits(l Limits) Option { return optionFunc(func(c *config) { c.limits = l }) }

func (l Limits) withDefaults() Limits {
	if l.TempBytes == 0 {
		l.TempBytes = defaultTempBytes
	}
	if l.FDs == 0 {
		l.FDs = defaultFDs
	}
	if l.ResponseBytes == 0 {
		l.ResponseBytes = defaultResponseBytes
	}
	if l.WarnAt <= 0 || l.WarnAt > 1 {
		l.WarnAt = defaultWarnAt
	}
	return l
}

// near reports whether used is at or past the warning fraction of limit.
func (l Limits) near(used, limit int64) bool {
	return limit > 0 && float64(used) >= l.WarnAt*float64(limit)
}

// checkTemp warns when the invocation's directory holds nearly as much as
// the temp base can.
func (g *guard) checkTemp(ctx context.Context, inv *invocation, d *tmpfs.Dir) {
	if g.cfg.limits.TempBytes < 0 {
		return
	}
	u, err := d.Usage()
	if err != nil || !g.cfg.limits.near(u.Bytes, g.cfg.limits.TempBytes) {
		return
	}
	g.warnLimit(ctx, inv, "temp", "lambdaguard: temp directory near the size of the temp base (no space left on device comes next)",
		u.Bytes, g.cfg.limits.TempBytes)
}

// fdCheckEvery is how often, at most, checkFDs counts the descriptors.
const fdCheckEvery = time.Second

// checkFDs warns when the process holds nearly as many file descriptors as
// Lambda allows. It counts /proc/self/fd, at most once every fdCheckEvery
// (the first invocation always); elsewhere it does nothing.
func (g *guard) checkFDs(ctx context.Context, inv *invocation, at time.Time) {
	if g.cfg.limits.FDs < 0 {
		return
	}
	now := at.UnixNano()
	last := g.fdChecked.Load()
	if last != 0 && now-last < int64(fdCheckEvery) || !g.fdChecked.CompareAndSwap(last, now) {
		return
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return
	}
	names, err := f.Readdirnames(-1)
	_ = f.Close()
	if err != nil {
		return
	}
	n := int64(len(names) - 1) // less the descriptor that read the directory
	if g.cfg.limits.near(n, int64(g.cfg.limits.FDs)) {
		g.warnLimit(ctx, inv, "fds", "lambdaguard: open file descriptors near Lambda's limit (too many open files comes next)",
			n, int64(g.cfg.limits.FDs))
	}
}

// checkEncodedResponse warns when a result other than bytes or a string is
// nearly as large as Lambda accepts, by encoding it: debug mode's, for the
// invocations it checks (rawSize measures the others for free).
func (g *guard) checkEncodedResponse(ctx context.Context, inv *invocation, res any) {
	if g.cfg.limits.ResponseBytes < 0 || res == nil || encodesItself(reflect.TypeOf(res)) {
		// Encoding it here would run its MarshalJSON a second time, before
		// aws-lambda-go does: a result that drains a cursor would reach the
		// caller empty. Only plain data is measured.
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		return
	}
	g.checkResponseSize(ctx, inv, len(b))
}

// rawSize returns the size of a result that is its own payload: a []byte,
// json.RawMessage or string. It keeps nothing of res, so that the fast path
// of Wrap can box its result for it without an allocation.
func rawSize(res any) (int, bool) {
	switch v := res.(type) {
	case []byte:
		return len(v), true
	case json.RawMessage:
		return len(v), true
	case string:
		return len(v), true
	}
	return 0, false
}

// checkResponseSize warns when a response of n bytes is nearly as large as
// Lambda accepts.
func (g *guard) checkResponseSize(ctx context.Context, inv *invocation, n int) {
	if g.cfg.limits.near(int64(n), int64(g.cfg.limits.ResponseBytes)) {
		g.warnLimit(ctx, inv, "response", "lambdaguard: response near Lambda's payload limit (Function.ResponseSizeTooLarge comes next)",
			int64(n), int64(g.cfg.limits.ResponseBytes))
	}
}

func (g *guard) warnLimit(ctx context.Context, inv *invocation, quota, msg string, used, limit int64) {
	g.cfg.logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelWarn, msg,
		slog.String("requestId", inv.info.RequestID), slog.String("quota", quota),
		slog.Int64("used", used), slog.Int64("limit", limit))
}

// selfEncoding caches encodesItself by type.
var selfEncoding sync.Map // reflect.Type → bool

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// encodesItself reports whether encoding a value of type t may run code of
// its own: a MarshalJSON or MarshalText anywhere in it, or an interface
// whose dynamic value may have one.
func encodesItself(t reflect.Type) bool {
	if v, ok := selfEncoding.Load(t); ok {
		return v.(bool)
	}
	out := encodes(t, map[reflect.Type]bool{})
	selfEncoding.Store(t, out)
	return out
}

func encodes(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return encodes(t.Elem(), seen)
	case reflect.Map:
		return encodes(t.Key(), seen) || encodes(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() || f.Anonymous {
				if encodes(f.Type, seen) {
					return true
				}
			}
		}
	}
	return false
}
