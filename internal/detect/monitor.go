package detect

import (
	"slices"
	"sync"

	"github.com/lambdaguard/lambdaguard/internal/procstate"
	"github.com/lambdaguard/lambdaguard/internal/snapshot"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// maxRecent is how many ended invocations the monitor remembers, for
// scrubbing their request strings out of later reports and for naming
// them in findings: a stray file or a changed variable may be seen after
// the invocation that made it ended, by the end of another one.
const maxRecent = 64

// maxPeriodHeld is how many ended invocations of a period are remembered
// until it ends, beyond maxRecent.
const maxPeriodHeld = 4096

// maxPeriodIDs bounds the ids a period lists.
const maxPeriodIDs = 64

// neverQuietAfter is how many invocations a period may hold before the
// variables it cannot check are named in a finding: a process that is never
// quiet gets told so, rather than waited for.
const neverQuietAfter = 32

// monitor is the one process-wide view of the invocations in flight, across
// every guard in debug mode. It is package-level on purpose: Watch registers
// variables per process, so whatever keeps the reads of those variables
// apart from the handlers that write them must see every handler of the
// process, whichever guard runs it.
//
// Time is cut into periods: a period starts when an invocation begins while
// none runs, and ends when the last one running ends. At both ends no
// handler runs, so what the process holds — unguarded variables, open
// descriptors, entries under the temp base — is read then, and what changed
// in between is one finding, naming the invocations the period held. The
// reads at a period's ends hold back invocations that begin meanwhile:
// "gated" is that one bounded wait, the only one a handler ever has on the
// detector; the detector never waits for a handler.
type monitor struct {
	mu      sync.Mutex
	cond    sync.Cond
	gated   bool
	running map[*Inv]struct{}
	seq     uint64  // counts begins and ends
	periods uint64  // counts periods
	cur     *period // nil while no invocation runs
	history []*Inv  // sampled invocations: those running and the latest ended ones, oldest first

	// flushSockets are the sockets opened while flush hooks ran (an
	// exporter's connection): shared resources, not an invocation's leak.
	flushSockets map[string]bool
}

var mon = newMonitor()

func newMonitor() *monitor {
	m := &monitor{running: map[*Inv]struct{}{}, flushSockets: map[string]bool{}}
	m.cond.L = &m.mu
	return m
}

// period is a stretch of time during which at least one invocation ran.
type period struct {
	n         uint64
	checked   bool // its start was recorded (its first invocation was sampled)
	count     int  // invocations it held
	ids       []string
	unsampled int
	noted     bool // its unchecked variables were named
	overflow  bool // some of its invocations were forgotten before it ended

	// What it started with; written by the invocation that started it,
	// before any other could join, then read at its end.
	vars []*Var
	base []*snapshot.Snapshot
	fds  map[int]string
	temp map[string]map[string]procstate.Entry // temp base → its entries
}

// enter counts inv in, waiting while the start or end of a period is being
// recorded, and starts a period when none runs.
func (m *monitor) enter(inv *Inv) (p *period, start bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.gated {
		m.cond.Wait()
	}
	m.seq++
	inv.begin = m.seq
	inv.entered = true
	if m.cur == nil {
		m.periods++
		start = inv.sampled
		m.cur = &period{n: m.periods, checked: start}
		if start {
			m.cur.temp = map[string]map[string]procstate.Entry{}
		}
		m.gated = start
	}
	p = m.cur
	p.count++
	inv.period = p.n
	if inv.sampled {
		if len(p.ids) < maxPeriodIDs {
			p.ids = append(p.ids, inv.id)
		}
		m.history = append(m.history, inv)
	} else {
		p.unsampled++
	}
	m.running[inv] = struct{}{}
	return p, start
}

// open lets invocations in again after the start or end of a period was
// recorded.
func (m *monitor) open() {
	m.mu.Lock()
	m.gated = false
	m.cond.Broadcast()
	m.mu.Unlock()
}

// leave counts inv out. When it was the last one running, the period ends:
// leave returns it, with invocations held back until open is called, if it
// is to be checked.
func (m *monitor) leave(inv *Inv) (p *period, last bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !inv.entered {
		return nil, false
	}
	delete(m.running, inv)
	m.seq++
	inv.end = m.seq
	p = m.cur
	if len(m.running) == 0 {
		m.cur = nil
		last = true
		m.gated = p.checked
	}
	// Forget all but the latest ended invocations, and those of the
	// period that ends now or goes on: its end scrubs what it finds with
	// their request strings.
	keep := make([]bool, len(m.history))
	recent, held := 0, 0
	for i := len(m.history) - 1; i >= 0; i-- {
		h := m.history[i]
		switch {
		case h.end == 0:
			keep[i] = true
		case recent < maxRecent:
			keep[i] = true
			recent++
		case h.period == p.n && held < maxPeriodHeld:
			keep[i] = true
			held++
		case h.period == p.n:
			p.overflow = true // names found at its end are redacted whole
		}
	}
	kept := m.history[:0]
	for i, h := range m.history {
		if keep[i] {
			kept = append(kept, h)
		}
	}
	clear(m.history[len(kept):])
	m.history = kept
	return p, last
}

// now returns the monitor's sequence number.
func (m *monitor) now() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// current returns the number of the period running now.
func (m *monitor) current() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		return 0
	}
	return m.cur.n
}

// since returns the ids of the invocations that ran at some time after the
// sequence number at, and the invocations the monitor remembers.
func (m *monitor) since(at uint64) (ids []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, inv := range m.history {
		if inv.end == 0 || inv.end > at {
			ids = append(ids, inv.id)
		}
	}
	return ids
}

// recent returns the invocations running and remembered.
func (m *monitor) recent() []*Inv {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Inv(nil), m.history...)
}

// secrets returns the request strings of every invocation running and
// remembered: a report may see the data of any of them. all includes the
// keys and the short strings, for names built from data (a stray file's, a
// descriptor's target); without it, only the values of taint.MinLen bytes
// or more, for everything else. Request ids are left out: a report names
// invocations by them.
func (m *monitor) secrets(all bool) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make(map[string]bool, len(m.history))
	for _, inv := range m.history {
		ids[inv.id] = true
	}
	var out []string
	for _, inv := range m.history {
		if all {
			for _, s := range inv.secrets {
				if !ids[s] {
					out = append(out, s)
				}
			}
			continue
		}
		for _, t := range inv.taints {
			if !ids[t.Value] && !t.Key && len(t.Value) >= taint.MinLen {
				out = append(out, t.Value)
			}
		}
	}
	// Longest first: a summary names the most specific value.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// markFlushSockets records sockets as a flush hook's.
func (m *monitor) markFlushSockets(targets []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range targets {
		m.flushSockets[t] = true
	}
}

// flushSocket reports whether target was opened while a flush hook ran.
func (m *monitor) flushSocket(target string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.flushSockets[target]
}

// pruneFlushSockets forgets the flush hooks' sockets that are closed.
func (m *monitor) pruneFlushSockets(open map[int]string) {
	still := make(map[string]bool, len(open))
	for _, t := range open {
		still[t] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for t := range m.flushSockets {
		if !still[t] {
			delete(m.flushSockets, t)
		}
	}
}
