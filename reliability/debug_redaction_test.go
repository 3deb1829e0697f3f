package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

type debugCaller struct {
	Email string `json:"email"`
	Token string `json:"token"`
}

// TestDebugScrubsEveryRequestInFlight: two invocations at once. Alice's
// handler leaves a stray file named after her e-mail and token under the
// temp base, and waits for Bob's invocation to end, whose report sees the
// file appear. No report, and no guardtest description of one, carries
// either caller's e-mail or token.
func TestDebugScrubsEveryRequestInFlight(t *testing.T) {
	alice := debugCaller{Email: "alice@example.com", Token: "tok_live_ALICE_0123456789"}
	bob := debugCaller{Email: "bob@example.org", Token: "tok_live_BOB_9876543210"}
	base := t.TempDir() // not os.TempDir(): the stray file goes where the guard looks
	stray := filepath.Join(base, alice.Email+"-"+alice.Token+".part")
	defer os.Remove(stray)

	bobIn, written, bobDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	wait := func(ctx context.Context, ch chan struct{}) error {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	h, rs := debugWrap(t, func(ctx context.Context, c debugCaller) (string, error) {
		if c != alice {
			close(bobIn)
			return "bob", wait(ctx, written)
		}
		if err := wait(ctx, bobIn); err != nil {
			return "", err
		}
		if err := os.WriteFile(stray, []byte("partial upload"), 0o600); err != nil {
			return "", err
		}
		close(written)
		return "alice", wait(ctx, bobDone)
	}, guard.WithTempBase(base))

	aliceErr := make(chan error, 1)
	go func() {
		ctx, cancel := invocation("req-alice", 10*time.Second)
		defer cancel()
		_, err := h(ctx, alice)
		aliceErr <- err
	}()
	ctx, cancel := invocation("req-bob", 10*time.Second)
	defer cancel()
	_, err := h(ctx, bob)
	require.NoError(t, err)
	close(bobDone)
	require.NoError(t, <-aliceErr)

	require.NotEmpty(t, rs.findings(guard.KindTempFile), "the stray file is reported")
	assertScrubbed(t, rs.text(t), alice.Email, alice.Token, bob.Email, bob.Token)
}

// debugOrder is an event whose map is keyed by the customer's e-mail.
type debugOrder struct {
	Amounts map[string]int    `json:"amounts"`
	Notes   map[string]string `json:"notes"`
}

var (
	debugOrdersMu sync.Mutex
	debugOrders   = map[string]string{} // e-mail → the last note
)

// storeOrder is the handler of TestDebugTaintSourceHidesMapKeys: it keeps
// each customer's note, under the customer's e-mail, past the invocation.
func storeOrder(_ context.Context, o debugOrder) (string, error) {
	debugOrdersMu.Lock()
	defer debugOrdersMu.Unlock()
	for email := range o.Amounts {
		debugOrders[email] = o.Notes[email]
	}
	return "stored", nil
}

// TestDebugTaintSourceHidesMapKeys: the event's map is keyed by an e-mail
// and the handler keeps the e-mail and the note stored under it: the taint
// finding names where in the request the data came from without the map
// key, in the report and in guardtest's description — for a typed event
// (through guardtest) and a raw JSON payload (through WrapHandler).
func TestDebugTaintSourceHidesMapKeys(t *testing.T) {
	guard.Watch("debugOrders", &debugOrders, guard.GuardedBy(&debugOrdersMu))

	t.Run("typed event", func(t *testing.T) {
		const email = "alice@example.com"
		note := fmt.Sprintf("leave it at the door (%d)", time.Now().UnixNano()) // changes with -count=2 too
		results, err := guardtest.Check(guardtest.Config{GuardOptions: []guard.Option{guard.WithLogger(discardLogger())}},
			storeOrder, debugOrder{Amounts: map[string]int{email: 3}, Notes: map[string]string{email: note}})
		require.NoError(t, err)
		findings := guardtest.Findings(results)
		require.True(t, slices.ContainsFunc(findings, func(f guard.Finding) bool { return f.Kind == guard.KindTaint }),
			"a taint finding fires:\n%s", guardtest.Describe(results))
		assertScrubbed(t, resultsText(t, results), email)
	})

	t.Run("raw payload", func(t *testing.T) {
		const email = "bob@example.org"
		rs := &reports{}
		h := guard.WrapHandler(lambda.NewHandler(storeOrder), debugOptions(t, rs)...)
		ctx, cancel := invocation("req-raw-order", 10*time.Second)
		defer cancel()
		payload := fmt.Sprintf(`{"amounts":{"bob@example.org":1},"notes":{"bob@example.org":"ring twice (%d)"}}`, time.Now().UnixNano())
		_, err := h.Invoke(ctx, []byte(payload))
		require.NoError(t, err)
		require.NotEmpty(t, rs.findings(guard.KindTaint), "a taint finding fires:\n%s", rs.describe())
		assertScrubbed(t, rs.text(t), email)
	})
}

// debugPeer is a map key that carries a token in a field.
type debugPeer struct {
	IP    [4]byte
	Token string
}

var (
	debugPeersMu sync.Mutex
	debugPeers   = map[debugPeer]int{}
)

// TestDebugStructMapKeyRedacted: a watched map keyed by a struct that holds
// a token (derived from the request: the Authorization header without its
// "Bearer " prefix) gets a new key; the report names the change without the
// token.
func TestDebugStructMapKeyRedacted(t *testing.T) {
	guard.Watch("debugPeers", &debugPeers, guard.GuardedBy(&debugPeersMu))
	const token = "tok_peer_5f3a9c1e77d2"
	type request struct {
		Authorization string `json:"authorization"`
	}
	h, rs := debugWrap(t, func(ctx context.Context, r request) (string, error) {
		debugPeersMu.Lock()
		defer debugPeersMu.Unlock()
		debugPeers[debugPeer{IP: [4]byte{10, 0, 0, 7}, Token: strings.TrimPrefix(r.Authorization, "Bearer ")}]++
		return "ok", nil
	})
	ctx, cancel := invocation("req-peer", 10*time.Second)
	defer cancel()
	_, err := h(ctx, request{Authorization: "Bearer " + token})
	require.NoError(t, err)
	require.NotEmpty(t, rs.findings(guard.KindGlobal), "the new key is reported")
	assertScrubbed(t, rs.text(t), token)
}

// TestDebugShortRequestStringScrubbed: a request string shorter than 4
// bytes (a PIN) names a stray file, pin-739: the report does not show 739
// as a segment of any name, path or detail.
func TestDebugShortRequestStringScrubbed(t *testing.T) {
	const pin = "739"
	base := t.TempDir()
	stray := filepath.Join(base, "pin-"+pin)
	defer os.Remove(stray)
	type request struct {
		PIN string `json:"pin"`
	}
	h, rs := debugWrap(t, func(ctx context.Context, r request) (string, error) {
		return "ok", os.WriteFile(filepath.Join(base, "pin-"+r.PIN), nil, 0o600)
	}, guard.WithTempBase(base))
	ctx, cancel := invocation("req-pin", 10*time.Second)
	defer cancel()
	_, err := h(ctx, request{PIN: pin})
	require.NoError(t, err)
	require.NotEmpty(t, rs.findings(guard.KindTempFile), "the stray file is reported")
	for _, f := range rs.findings() {
		for _, s := range []string{f.Name, f.Path, f.Detail} {
			assert.NotContains(t, segments(s), pin, "in %q", s)
		}
	}
	assert.NotContains(t, segments(rs.describe()), pin)
}
