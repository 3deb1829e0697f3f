package guard

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/scope"
)

// SQS, Kinesis and DynamoDB streams deliver records of different callers in
// one invocation. The batch helpers give each record what Wrap gives each
// invocation: its own scope (values, cleanups, background work) and its own
// temp directory, closed and wiped when the record is done, so that record 2
// never sees what record 1 left. A record's error or panic fails that record
// alone, in the partial batch response Lambda reads when the event source
// mapping has ReportBatchItemFailures on.
//
//	func handle(ctx context.Context, msg events.SQSMessage) error { ... }
//
//	func main() { guard.Start(guard.SQS(handle, guard.Concurrently(8))) }
//
// A record's context carries the invocation (InvocationFrom, with the
// invocation's request id), the record's scope and its temp directory
// (TempDir, TempRoot), and the log attributes of the invocation and of the
// record (AddLogAttrs). Middleware given with WithRecordMiddleware runs
// around each record, with the record as its event: tracing starts a
// "process" span there, linked to the record's producer. The helpers must
// run inside a guarded handler (Start, Wrap); outside one, every record
// fails with ErrNoInvocation.

// BatchOption configures a batch helper.
type BatchOption interface {
	applyBatch(*batchConfig)
}

type batchConfig struct {
	concurrency int
}

type batchOptionFunc func(*batchConfig)

func (f batchOptionFunc) applyBatch(c *batchConfig) { f(c) }

// Concurrently processes up to n records at once (default 1: one after
// another). For an SQS FIFO queue, records of one message group are always
// processed in order, one at a time; n bounds how many groups run at once.
// (Kinesis and DynamoDB stream records are always processed in order.)
func Concurrently(n int) BatchOption {
	return batchOptionFunc(func(c *batchConfig) { c.concurrency = max(n, 1) })
}

func batchConfigOf(opts []BatchOption) batchConfig {
	c := batchConfig{concurrency: 1}
	for _, o := range opts {
		if o != nil {
			o.applyBatch(&c)
		}
	}
	return c
}

// SQS returns a handler for an SQS event that runs fn once per message,
// each in a scope and a temp directory of its own, and reports the messages
// whose fn failed or panicked in the response's BatchItemFailures (by
// MessageId). Messages of a FIFO queue (an event source ARN ending in
// ".fifo") are processed in order within their message group, and once one
// fails, the rest of its group is reported failed without being processed,
// so that Lambda retries them in order; other groups go on.
func SQS(fn func(context.Context, events.SQSMessage) error, opts ...BatchOption) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	cfg := batchConfigOf(opts)
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var groups [][]int // indexes of ev.Records, each group in order
		fifo := map[string]int{}
		for i, m := range ev.Records {
			if !strings.HasSuffix(m.EventSourceARN, ".fifo") {
				groups = append(groups, []int{i})
				continue
			}
			g, ok := fifo[m.Attributes["MessageGroupId"]]
			if !ok {
				g = len(groups)
				fifo[m.Attributes["MessageGroupId"]] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], i)
		}
		failed := runGroups(ctx, cfg.concurrency, groups, func(ctx context.Context, i int) error {
			m := ev.Records[i]
			return runRecord(ctx, "sqs message "+m.MessageId, m, fn)
		})
		res := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}} // [], not null, for Lambda
		for i, f := range failed {
			if f {
				res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
			}
		}
		return res, nil
	}
}

// Kinesis returns a handler for a Kinesis event that runs fn once per
// record, in order, each in a scope and a temp directory of its own. At the
// first record whose fn fails or panics it stops, and reports that record's
// sequence number in BatchItemFailures: Lambda resumes the shard from it.
// A shard's records are processed in order, so it takes no Concurrently.
func Kinesis(fn func(context.Context, events.KinesisEventRecord) error) func(context.Context, events.KinesisEvent) (events.KinesisEventResponse, error) {
	return func(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
		res := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
		seq := func(r events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber }
		if failed, ok := inOrder(ctx, "kinesis", ev.Records, seq, fn); ok {
			res.BatchItemFailures = append(res.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: failed})
		}
		return res, nil
	}
}

// DynamoDB is Kinesis for a DynamoDB stream event: records in order, each in
// a scope and a temp directory of its own, stopping at the first failure,
// whose sequence number is reported in BatchItemFailures.
func DynamoDB(fn func(context.Context, events.DynamoDBEventRecord) error) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		res := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		seq := func(r events.DynamoDBEventRecord) string { return r.Change.SequenceNumber }
		if failed, ok := inOrder(ctx, "dynamodb", ev.Records, seq, fn); ok {
			res.BatchItemFailures = append(res.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: failed})
		}
		return res, nil
	}
}

// runGroups runs each group's records in order, up to n groups at once; once
// a record of a group fails, the group's later records are failed unrun. It
// returns which records failed, by index.
func runGroups(ctx context.Context, n int, groups [][]int, run func(context.Context, int) error) []bool {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	failed := make([]bool, total)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, g := range groups {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			k := 0
			defer func() {
				// Stopped early — a failure, the handler's context ended,
				// or a record that ended its goroutine (runtime.Goexit, as
				// t.FailNow does) — the rest of the group is failed, for
				// Lambda to deliver again. Each index is one group's: no
				// two goroutines write one.
				for _, j := range g[k:] {
					failed[j] = true
				}
				<-sem
				wg.Done()
			}()
			for ; k < len(g); k++ {
				if ctx.Err() != nil || run(ctx, g[k]) != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// inOrder runs fn for a shard's records one after another, and stops at the
// first that fails — or that the handler's context ended before, which is
// failed unrun, for Lambda to deliver again — returning its sequence number.
func inOrder[R any](ctx context.Context, kind string, records []R, seq func(R) string, fn func(context.Context, R) error) (string, bool) {
	for _, r := range records {
		if ctx.Err() != nil || runRecord(ctx, kind+" record "+seq(r), r, fn) != nil {
			return seq(r), true
		}
	}
	return "", false
}

// runRecord runs fn for one record in a scope and a temp directory of its
// own, inside the record middleware, and closes both when fn returns. A
// panic of fn is recovered into the record's error; the record's cleanup
// failures are logged, as an invocation's are.
func runRecord[R any](ctx context.Context, name string, rec R, fn func(context.Context, R) error) (err error) {
	parent := invocationOf(ctx)
	if parent == nil {
		return ErrNoInvocation
	}
	g := parent.g
	child := &invocation{info: parent.info, g: g, logs: logBag{parent: &parent.logs}}
	sc := scope.New(ctx)
	rctx := scope.NewContext(withInvocation(ctx, child), sc)
	if parent.debug != nil {
		// Goroutines the record starts carry its name: debug mode's
		// findings then say which record left them. Restored last, after
		// the record's cleanups, which run under it too.
		var restore func()
		rctx, restore = parent.debug.Record(rctx, name)
		defer restore()
	}
	finished := false
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("guard: %s: panic: %v", name, r)
		} else if !finished {
			err = fmt.Errorf("guard: %s: its goroutine ended (runtime.Goexit)", name)
		}
		var errs []error
		closed, cerr := sc.TryClose()
		if !closed {
			cctx, cancel := closeContext(rctx, parent.info.Deadline)
			cerr = sc.Close(cctx)
			cancel()
		}
		if cerr != nil {
			errs = append(errs, cerr)
		}
		if d := child.close(); d != nil {
			if werr := d.Wipe(); werr != nil {
				errs = append(errs, werr)
			}
		}
		child.logs.close()
		log := context.WithoutCancel(ctx)
		for _, e := range errs {
			g.cfg.logger.LogAttrs(log, slog.LevelError, "lambdaguard: record cleanup failed",
				slog.String("requestId", parent.info.RequestID), slog.String("record", name), slog.String("error", e.Error()))
		}
		if err != nil {
			g.cfg.logger.LogAttrs(log, slog.LevelWarn, "lambdaguard: record failed",
				slog.String("requestId", parent.info.RequestID), slog.String("record", name), slog.String("error", err.Error()))
		}
	}()
	_, err = chain(rctx, g.cfg.recordMiddleware, rec, func(ctx context.Context) (any, error) {
		return nil, fn(ctx, rec)
	})
	finished = true
	return err
}

// closeContext is what a record's scope closes with when it has work to
// wait for or cleanups to run: the invocation's real deadline (less the
// margin kept for the wipe), not the handler's context, which ends at the
// start of the cleanup reserve and may have ended already; without a
// deadline, the cleanup timeout.
func closeContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		deadline = time.Now().Add(cleanupTimeout)
	}
	return context.WithDeadline(context.WithoutCancel(ctx), beforeWipe(deadline))
}
