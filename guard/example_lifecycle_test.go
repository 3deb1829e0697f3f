package guard_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambdaguard/lambdaguard/guard"
)

// session stands in for a database connection that a peer may close while
// the execution environment is frozen.
type session struct {
	id   int
	dead bool
}

func (s *session) Ping(context.Context) error {
	if s.dead {
		return errors.New("connection reset by peer")
	}
	return nil
}

func (s *session) Close() error { fmt.Println("closed session", s.id); return nil }

func ExampleNewShared() {
	n := 0
	db := guard.NewShared("db", func(context.Context) (*session, error) {
		n++
		fmt.Println("connecting, session", n)
		return &session{id: n}, nil
	}, guard.WithValidate(time.Millisecond, func(ctx context.Context, s *session) error {
		return s.Ping(ctx) // after a gap: is it still alive?
	}))

	handler := func(ctx context.Context, _ struct{}) (string, error) {
		s, err := db.Get(ctx) // built on first use, kept across invocations
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("served by session %d", s.id), nil
	}
	h := guard.Wrap(handler)
	ctx := context.Background()

	out, _ := h(ctx, struct{}{})
	fmt.Println(out)
	out, _ = h(ctx, struct{}{})
	fmt.Println(out)

	s, _ := db.Get(ctx)
	s.dead = true                    // the peer dropped it during a freeze...
	time.Sleep(5 * time.Millisecond) // ...longer than the check threshold
	out, _ = h(ctx, struct{}{})
	fmt.Println(out)

	_ = guard.CloseShared(ctx) // what guard.Start does at shutdown
	// Output:
	// connecting, session 1
	// served by session 1
	// served by session 1
	// closed session 1
	// connecting, session 2
	// served by session 2
	// closed session 2
}

func ExampleOnThaw() {
	h := guard.Wrap(func(ctx context.Context, _ struct{}) (string, error) {
		inv, _ := guard.InvocationFrom(ctx)
		return fmt.Sprintf("invocation %d", inv.Number), nil
	}, guard.OnThaw(time.Millisecond, func(ctx context.Context, gap time.Duration) error {
		fmt.Println("thawed: refresh what a freeze may have broken")
		return nil
	}))
	ctx := context.Background()
	out, _ := h(ctx, struct{}{}) // a cold start: no gap
	fmt.Println(out)
	time.Sleep(5 * time.Millisecond) // frozen between invocations
	out, _ = h(ctx, struct{}{})
	fmt.Println(out)
	// Output:
	// invocation 1
	// thawed: refresh what a freeze may have broken
	// invocation 2
}
