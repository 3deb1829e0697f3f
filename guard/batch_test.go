package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

func sqsEvent(arn string, bodies ...string) events.SQSEvent {
	var ev events.SQSEvent
	for i, b := range bodies {
		group, body, _ := strings.Cut(b, ":")
		if body == "" {
			group, body = "", b
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      fmt.Sprintf("m%02d", i),
			Body:           body,
			EventSourceARN: arn,
			Attributes:     map[string]string{"MessageGroupId": group},
		})
	}
	return ev
}

const queueARN = "arn:aws:sqs:eu-west-1:123456789012:orders"

var caller = scope.NewKey[string]("caller")

// Each record of a batch has its own scope and temp directory: no record
// ever sees another's values or files, with records processed
// concurrently, and every directory is wiped after its record.
func TestBatchRecordsIsolated(t *testing.T) {
	base := t.TempDir()
	var bodies []string
	for i := range 64 {
		bodies = append(bodies, fmt.Sprintf("caller-%d", i))
	}
	var mu sync.Mutex
	dirs := map[string]bool{}
	var saw []string
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		if v, ok := caller.Get(ctx); ok {
			mu.Lock()
			saw = append(saw, m.Body+" saw "+v)
			mu.Unlock()
		}
		if err := caller.Set(ctx, m.Body); err != nil {
			return err
		}
		dir, err := guard.TempDir(ctx)
		if err != nil {
			return err
		}
		left, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			return fmt.Errorf("%s found %s", m.Body, left[0].Name())
		}
		mu.Lock()
		dirs[dir] = true
		mu.Unlock()
		if err := os.WriteFile(filepath.Join(dir, "upload"), []byte(m.Body), 0o600); err != nil {
			return err
		}
		inv, ok := guard.InvocationFrom(ctx)
		if !ok || inv.RequestID != "batch-1" {
			return errors.New("the record's context lost its invocation")
		}
		return nil
	}, guard.Concurrently(8)), guard.WithTempBase(base))

	res, err := h(lambdaCtx("batch-1"), sqsEvent(queueARN, bodies...))
	require.NoError(t, err)
	assert.Empty(t, res.BatchItemFailures)
	assert.Empty(t, saw, "a record saw another record's scope value")
	assert.Len(t, dirs, 64, "a directory per record")
	assert.Empty(t, entries(t, base), "every record's directory is wiped")
}

// A record that fails or panics fails alone: it is in the partial batch
// response, in the order of the batch; the others succeed; every record's
// cleanups run.
func TestBatchPartialFailures(t *testing.T) {
	var cleanups atomic.Int32
	var logs bytes.Buffer
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		_ = scope.From(ctx).OnClose(func(context.Context) error { cleanups.Add(1); return nil })
		switch m.Body {
		case "fail":
			return errors.New("rejected")
		case "panic":
			panic("record exploded")
		}
		return nil
	}, guard.Concurrently(3)), guard.WithTempBase(t.TempDir()), guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

	res, err := h(lambdaCtx("batch-2"), sqsEvent(queueARN, "ok", "fail", "ok", "panic", "ok", "fail"))
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "m01"}, {ItemIdentifier: "m03"}, {ItemIdentifier: "m05"}}, res.BatchItemFailures)
	assert.EqualValues(t, 6, cleanups.Load(), "every record's cleanups ran")
	assert.Contains(t, logs.String(), "record exploded", "the panic is logged")
	assert.Equal(t, 3, strings.Count(logs.String(), "lambdaguard: record failed"))
}

// A FIFO queue keeps each message group in order; at a group's first
// failure the rest of that group is failed unprocessed, and other groups go
// on.
func TestBatchFIFOOrder(t *testing.T) {
	var mu sync.Mutex
	order := map[string][]string{}
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		g := m.Attributes["MessageGroupId"]
		mu.Lock()
		order[g] = append(order[g], m.Body)
		mu.Unlock()
		if m.Body == "a2" {
			return errors.New("a2 failed")
		}
		return nil
	}, guard.Concurrently(4)), guard.WithTempBase(t.TempDir()))

	ev := sqsEvent(queueARN+".fifo", "A:a1", "B:b1", "A:a2", "B:b2", "A:a3", "B:b3", "A:a4")
	res, err := h(lambdaCtx("batch-fifo"), ev)
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "a2"}, order["A"], "group A stops at its failure")
	assert.Equal(t, []string{"b1", "b2", "b3"}, order["B"], "group B in order, to its end")
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "m02"}, {ItemIdentifier: "m04"}, {ItemIdentifier: "m06"}}, res.BatchItemFailures,
		"a2 and the rest of its group, for Lambda to retry in order")
}

// Stream records are processed in order, and the first failure stops the
// batch: its sequence number is the checkpoint Lambda resumes from.
func TestBatchStreamsStopAtFirstFailure(t *testing.T) {
	var kin []string
	kh := guard.Wrap(guard.Kinesis(func(ctx context.Context, r events.KinesisEventRecord) error {
		kin = append(kin, r.Kinesis.SequenceNumber)
		if r.Kinesis.SequenceNumber == "2" {
			panic("bad record")
		}
		return nil
	}), guard.WithTempBase(t.TempDir()))
	var kev events.KinesisEvent
	for _, s := range []string{"1", "2", "3"} {
		kev.Records = append(kev.Records, events.KinesisEventRecord{Kinesis: events.KinesisRecord{SequenceNumber: s}})
	}
	kres, err := kh(lambdaCtx("kinesis"), kev)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, kin)
	assert.Equal(t, []events.KinesisBatchItemFailure{{ItemIdentifier: "2"}}, kres.BatchItemFailures)

	var ddb []string
	dh := guard.Wrap(guard.DynamoDB(func(ctx context.Context, r events.DynamoDBEventRecord) error {
		ddb = append(ddb, r.Change.SequenceNumber)
		if r.Change.SequenceNumber == "20" {
			return errors.New("conditional check failed")
		}
		return nil
	}), guard.WithTempBase(t.TempDir()))
	var dev events.DynamoDBEvent
	for _, s := range []string{"10", "20", "30"} {
		dev.Records = append(dev.Records, events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{SequenceNumber: s}})
	}
	dres, err := dh(lambdaCtx("ddb"), dev)
	require.NoError(t, err)
	assert.Equal(t, []string{"10", "20"}, ddb)
	assert.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: "20"}}, dres.BatchItemFailures)
}

// Outside a guarded handler the helpers cannot give a record a scope: every
// record fails, rather than running unguarded.
func TestBatchOutsideGuard(t *testing.T) {
	ran := false
	h := guard.SQS(func(context.Context, events.SQSMessage) error { ran = true; return nil })
	res, err := h(context.Background(), sqsEvent(queueARN, "a", "b"))
	require.NoError(t, err)
	assert.False(t, ran)
	assert.Len(t, res.BatchItemFailures, 2)
}

// Record middleware runs around each record, with the record as its event,
// inside the record's scope.
func TestBatchRecordMiddleware(t *testing.T) {
	var seen []string
	mw := func(ctx context.Context, event any, next guard.Next) (any, error) {
		m := event.(events.SQSMessage)
		seen = append(seen, "before "+m.MessageId)
		res, err := next(ctx)
		seen = append(seen, fmt.Sprintf("after %s: %v", m.MessageId, err))
		return res, err
	}
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		if m.Body == "bad" {
			return errors.New("bad")
		}
		return nil
	}), guard.WithTempBase(t.TempDir()), guard.WithRecordMiddleware(mw))
	_, err := h(lambdaCtx("mw"), sqsEvent(queueARN, "good", "bad"))
	require.NoError(t, err)
	assert.Equal(t, []string{"before m00", "after m00: <nil>", "before m01", "after m01: bad"}, seen)
}

// Log attributes added with AddLogAttrs are on every record logged with the
// invocation's context, never on another invocation's — with invocations
// running at once — and gone once the invocation ended; a batch record's
// attributes come on top of the invocation's and are gone after the record.
func TestScopedLogAttrs(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	var buf logBuffer
	log := slog.New(guard.NewLogHandler(slog.NewJSONHandler(&buf, nil)))

	leaked := make(chan context.Context, 16)
	h := guard.Wrap(func(ctx context.Context, e event) (string, error) {
		require.NoError(t, guard.AddLogAttrs(ctx, slog.String("tenant", e.ID)))
		log.InfoContext(ctx, "inside", "want", e.ID)
		leaked <- ctx
		return "", nil
	}, guard.WithTempBase(t.TempDir()))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h(lambdaCtx(fmt.Sprintf("req-%d", i)), event{ID: fmt.Sprintf("tenant-%d", i)})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	close(leaked)
	for ctx := range leaked {
		log.InfoContext(ctx, "after") // a goroutine that outlived its invocation
		assert.ErrorIs(t, guard.AddLogAttrs(ctx, slog.String("late", "x")), guard.ErrInvocationEnded)
	}
	inside, after := 0, 0
	for _, line := range buf.lines() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, "orders", rec["functionName"])
		assert.Equal(t, "7", rec["functionVersion"])
		switch rec["msg"] {
		case "inside":
			inside++
			assert.Equal(t, rec["want"], rec["tenant"], "a record carries its own invocation's keys only")
			assert.Contains(t, rec, "coldStart")
		case "after":
			after++
			assert.NotContains(t, rec, "tenant", "the keys are gone with the invocation")
		}
	}
	assert.Equal(t, 16, inside)
	assert.Equal(t, 16, after)

	buf.reset()
	records := guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		if err := guard.AddLogAttrs(ctx, slog.String("message", m.Body)); err != nil {
			return err
		}
		log.InfoContext(ctx, "record "+m.MessageId)
		return nil
	})
	_, err := guard.Wrap(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		_ = guard.AddLogAttrs(ctx, slog.String("batch", "b1"))
		return records(ctx, ev)
	}, guard.WithTempBase(t.TempDir()))(lambdaCtx("logs-batch"), sqsEvent(queueARN, "first", "second"))
	require.NoError(t, err)
	lines := buf.lines()
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"batch":"b1","message":"first"`, "the invocation's keys, then the record's")
	assert.Contains(t, lines[1], `"batch":"b1","message":"second"`)
	assert.NotContains(t, lines[1], `"message":"first"`, "the first record's keys are gone with it")
}

// In debug mode, a goroutine a batch record leaves running is attributed to
// that record: its finding names it, and only it.
func TestBatchDebugAttributesToRecord(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		if m.Body == "start a worker" {
			go leakForever(stop)
		}
		return nil
	}, guard.Concurrently(2)))
	_, err := h(lambdaCtx("batch-debug"), sqsEvent(queueARN, "ok", "start a worker", "ok"))
	require.NoError(t, err)
	gs := c.findings(guard.KindGoroutine)
	require.Len(t, gs, 1, "%+v", gs)
	assert.Equal(t, "sqs message m01", gs[0].Record)
	assert.Contains(t, gs[0].Name, "leakForever")
}
