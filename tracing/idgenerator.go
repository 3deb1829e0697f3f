package tracing

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// NewIDGenerator returns the IDGenerator that lets an invocation join the
// trace an X-Ray header names when the header names no parent segment or no
// sampling decision: what an ALB and API Gateway HTTP APIs send
// ("Root=1-…" alone), or "Sampled=?". Register it on the provider:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithIDGenerator(tracing.NewIDGenerator()), …)
//
// Such a header gives the invocation's span no parent: a made-up parent
// would be a span nobody exports, shown as missing; a parent with no
// decision would decide for the sampler (unsampled). The span is a root,
// so the provider's sampler decides on it as on any root, and this
// generator gives it the header's trace id, so it is in the trace all the
// same; a parent segment the header names is linked. Without this
// generator the span starts a trace of its own, still linked to the parent
// segment when there is one.
//
// Every other span gets random ids, as with the SDK's default generator.
func NewIDGenerator() sdktrace.IDGenerator { return idGenerator{} }

type idGenerator struct{}

// NewIDs returns the pending trace's id when ctx holds one, else a random one.
func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	if x, ok := pendingTrace(ctx); ok {
		tid = x.trace
	} else {
		for !tid.IsValid() {
			binary.BigEndian.PutUint64(tid[:8], rand.Uint64())
			binary.BigEndian.PutUint64(tid[8:], rand.Uint64())
		}
	}
	return tid, newSpanID()
}

// NewSpanID returns a random span id.
func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
