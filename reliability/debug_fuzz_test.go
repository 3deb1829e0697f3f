package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// fuzzEvent carries the fuzzer's request strings: a short one, a map key,
// and a body that may be JSON itself.
type fuzzEvent struct {
	N       int            `json:"n"`
	PIN     string         `json:"pin,omitempty"`
	Amounts map[string]int `json:"amounts,omitempty"`
	Body    string         `json:"body,omitempty"`
}

// fuzzStrings returns the request strings of a payload as the guard gets
// it (JSON-encoded, so invalid UTF-8 already replaced): the PIN, the map's
// keys, the body and the string values of the body when it is JSON.
func fuzzStrings(payload []byte) []string {
	var ev fuzzEvent
	if json.Unmarshal(payload, &ev) != nil {
		return nil
	}
	out := []string{ev.PIN, ev.Body}
	for k := range ev.Amounts {
		out = append(out, k)
	}
	var body any
	if json.Unmarshal([]byte(ev.Body), &body) == nil {
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				out = append(out, v)
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(body)
	}
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// fuzzEnv is the environment variable the i-th string of invocation n is
// put in: letters only, so that its name has no segment a short request
// string could equal by chance.
func fuzzEnv(n, i int) string { return fmt.Sprintf("LGFUZZ%c%c", 'A'+n, 'A'+i) }

// fuzzFileName reports whether s can name a file directly under the base.
func fuzzFileName(s string) bool {
	return s != "." && s != ".." && len(s) <= 255 && !strings.ContainsAny(s, "/\x00")
}

// rawHandler is a lambda.Handler from a function.
type rawHandler func(context.Context, []byte) ([]byte, error)

func (h rawHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return h(ctx, payload)
}

var (
	debugFuzzMu    sync.Mutex
	debugFuzzStore = map[string]string{}
)

// FuzzDebugRedaction runs 3 invocations at once through WrapHandler in
// debug mode, with random request strings: a short one, a map key, a body.
// Each handler puts every string of its request in a watched, guarded map
// (as key and as value), names a stray file under the temp base with it and
// sets an environment variable to it, while the others are in flight. No
// report of any of them carries a request string of any of them: one of 4
// bytes or more nowhere in a finding's name, path or detail; a shorter one
// not as a segment of a name or a path.
func FuzzDebugRedaction(f *testing.F) {
	base := f.TempDir()
	guard.Watch("debugFuzzStore", &debugFuzzStore, guard.GuardedBy(&debugFuzzMu))
	rs := &reports{}
	h := guard.WrapHandler(rawHandler(func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev fuzzEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		meet := ctx.Value(fuzzRound{}).(*rendezvous)
		if err := meet.wait(ctx, "in", 3); err != nil {
			return nil, err
		}
		for i, s := range fuzzStrings(payload) {
			debugFuzzMu.Lock()
			debugFuzzStore[s] = s
			debugFuzzMu.Unlock()
			if i < 16 {
				if fuzzFileName(s) {
					_ = os.WriteFile(filepath.Join(base, s), []byte(s), 0o600)
				}
				_ = os.Setenv(fuzzEnv(ev.N, i), s)
			}
		}
		return []byte(`"ok"`), meet.wait(ctx, "done", 3)
	}), guard.WithDebug(true), guard.WithTempBase(base), guard.WithReporter(rs.add), guard.WithLogger(discardLogger()))

	f.Fuzz(func(t *testing.T, short, key, body string) {
		rs.mu.Lock()
		rs.list = nil
		rs.mu.Unlock()
		payloads := make([][]byte, 3)
		for n, ev := range []fuzzEvent{{N: 0, PIN: short}, {N: 1, Amounts: map[string]int{key: 1}}, {N: 2, Body: body}} {
			b, err := json.Marshal(ev)
			require.NoError(t, err)
			payloads[n] = b
		}
		var wg sync.WaitGroup
		round := &rendezvous{}
		for n, p := range payloads {
			wg.Go(func() {
				ctx, cancel := invocation(fmt.Sprintf("fuzz-%d", n), 10*time.Second)
				defer cancel()
				_, err := h.Invoke(context.WithValue(ctx, fuzzRound{}, round), p)
				if err != nil {
					t.Errorf("invocation %d: %v", n, err)
				}
			})
		}
		wg.Wait()
		defer fuzzCleanUp(t, base)

		var secrets []string
		for _, p := range payloads {
			secrets = append(secrets, fuzzStrings(p)...)
		}
		leaks := 0
		for _, rep := range rs.all() {
			for _, fd := range rep.Findings {
				for _, s := range secrets {
					if leak := fuzzLeak(fd, s); leak != "" {
						if leaks++; leaks <= 5 {
							t.Errorf("a report of %s carries %q in its %s: %+v", rep.InvocationID, s, leak, fd)
						}
					}
				}
			}
		}
		if leaks > 5 {
			t.Errorf("and %d more", leaks-5)
		}
	})
}

// fuzzRound is the context key of the rendezvous of a round's invocations.
type fuzzRound struct{}

// fuzzLeak names the field of f that carries s, "" if none does.
func fuzzLeak(f guard.Finding, s string) string {
	fields := []struct{ name, v string }{{"name", f.Name}, {"path", f.Path}, {"detail", f.Detail}}
	for _, fl := range fields {
		// Only what redaction left between its summaries counts: a
		// summary spells digits and letters of its own ("len=1",
		// "hash=7fc4…").
		for _, piece := range unredacted(fl.v) {
			switch {
			case len(s) >= 4 && strings.Contains(piece, s):
				return fl.name
			case len(s) < 4 && fl.name != "detail" && slices.Contains(segments(piece), s):
				return fl.name
			}
		}
	}
	return ""
}

// summary is what redaction writes for a value: a kind, its length and a
// short hash (`<redacted(len=1, hash=7fc46312)>`, `key(len=5, hash=…)`).
var summary = regexp.MustCompile(`<?[A-Za-z.\[\]]*\(len=[0-9]+, hash=[0-9a-f]+\)>?`)

// unredacted returns the parts of v between the summaries redaction put in.
func unredacted(v string) []string {
	return summary.Split(v, -1)
}

// fuzzCleanUp removes what a round left: the stray files and the
// variables. The map's entries stay, but for a bound on its size: removing
// them between rounds would be a change the next round's reports show.
func fuzzCleanUp(t *testing.T, base string) {
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(base, e.Name())))
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "LGFUZZ") {
			require.NoError(t, os.Unsetenv(k))
		}
	}
	debugFuzzMu.Lock()
	if len(debugFuzzStore) > 1000 {
		clear(debugFuzzStore)
	}
	debugFuzzMu.Unlock()
}
