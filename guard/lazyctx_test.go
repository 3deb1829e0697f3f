package guard

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadlineCtx must behave as context.WithDeadlineCause does, whenever it is
// made real.
func TestDeadlineCtxBehavesLikeWithDeadlineCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		cause := errors.New("reserve")
		parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
		defer cancelParent()
		var c deadlineCtx
		c.init(parent, time.Now().Add(time.Second), cause, false)

		d, ok := c.Deadline()
		assert.True(t, ok)
		assert.Equal(t, time.Now().Add(time.Second), d)
		assert.NoError(t, c.Err(), "before the deadline, without making anything")
		assert.Equal(t, "v", c.Value(key{}))
		assert.Nil(t, c.real, "nothing made yet")

		child, cancelChild := context.WithCancel(&c) // asks for Done: made now
		defer cancelChild()
		require.NotNil(t, c.real)
		time.Sleep(time.Second)
		<-child.Done()
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
		assert.Equal(t, cause, context.Cause(&c))
		assert.Equal(t, cause, context.Cause(child))
	})
}

func TestDeadlineCtxErrPastDeadlineWithoutDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c deadlineCtx
		c.init(context.Background(), time.Now().Add(time.Second), ErrCleanupReserve, false)
		time.Sleep(2 * time.Second)
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded, "Err alone sees the deadline")
		assert.Equal(t, ErrCleanupReserve, context.Cause(&c))
	})
}

func TestDeadlineCtxParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		var attached, detached deadlineCtx
		attached.init(parent, time.Now().Add(time.Hour), nil, false)
		detached.init(parent, time.Now().Add(time.Hour), nil, true)
		cancel()
		assert.ErrorIs(t, attached.Err(), context.Canceled, "the parent's cancellation reaches it")
		assert.NoError(t, detached.Err(), "not when detached")
		<-attached.Done()

		early, cancelEarly := context.WithTimeout(context.Background(), time.Minute)
		defer cancelEarly()
		var c deadlineCtx
		c.init(early, time.Now().Add(time.Hour), nil, false)
		d, _ := c.Deadline()
		assert.Equal(t, time.Now().Add(time.Minute), d, "the earlier deadline wins")
	})
}

func TestDeadlineCtxStop(t *testing.T) {
	var unused deadlineCtx
	unused.init(context.Background(), time.Now().Add(time.Hour), nil, true)
	unused.stop()
	assert.ErrorIs(t, unused.Err(), context.Canceled, "stopped before anyone looked: cancelled when made")

	var used deadlineCtx
	used.init(context.Background(), time.Now().Add(time.Hour), nil, true)
	done := used.Done()
	used.stop()
	<-done
}

func TestDeadlineCtxStoppedThenLookedAtLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c deadlineCtx
		c.init(context.Background(), time.Now().Add(50*time.Millisecond), ErrCleanupReserve, false)
		ref, cancel := context.WithDeadlineCause(context.Background(), time.Now().Add(50*time.Millisecond), ErrCleanupReserve)
		c.stop()
		cancel()
		time.Sleep(100 * time.Millisecond)
		assert.Equal(t, ref.Err(), c.Err())
		assert.Equal(t, context.Cause(ref), context.Cause(&c))
	})
}
