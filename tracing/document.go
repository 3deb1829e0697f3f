package tracing

import (
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// datasource is a span of the datasource trigger: SERVER, with the
// faas.document attributes the FaaS conventions require. A batch has one
// collection; the operation, time and name are its first record's.
func datasource(collection string, op attribute.KeyValue, at, name string) source {
	s := source{trigger: semconv.FaaSTriggerDatasource, kind: trace.SpanKindServer}
	s.attrs.addString(semconv.FaaSDocumentCollectionKey, collection)
	if op.Valid() {
		s.attrs.add(op)
	}
	s.attrs.addString(semconv.FaaSDocumentTimeKey, at)
	s.attrs.addString(semconv.FaaSDocumentNameKey, name)
	return s
}

// dynamoDBSource reads a DynamoDB stream batch (a time-window one too). The
// table is in the stream's ARN
// (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL).
func dynamoDBSource(recs []rawRecord) source {
	r := &recs[0]
	table := ""
	if _, rest, ok := strings.Cut(r.EventSourceARN, ":table/"); ok {
		table, _, _ = strings.Cut(rest, "/")
	}
	var op attribute.KeyValue
	switch r.EventName {
	case "INSERT":
		op = semconv.FaaSDocumentOperationInsert
	case "MODIFY":
		op = semconv.FaaSDocumentOperationEdit
	case "REMOVE":
		op = semconv.FaaSDocumentOperationDelete
	}
	at := ""
	if t := r.DynamoDB.ApproximateCreationDateTime.Time; !t.IsZero() {
		at = t.UTC().Format(time.RFC3339Nano)
	}
	return datasource(table, op, at, "")
}

// s3Source reads an S3 event notification: the bucket, the object's key
// (which S3 delivers URL-encoded) and what was done to it.
func s3Source(recs []rawRecord) source {
	r := &recs[0]
	key := r.S3.Object.Key
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	at := ""
	if t, err := time.Parse(time.RFC3339Nano, r.EventTime); err == nil {
		at = t.UTC().Format(time.RFC3339Nano)
	}
	return datasource(r.S3.Bucket.Name, s3Operation(r.EventName), at, key)
}

// s3Operation maps an S3 event name ("ObjectCreated:Put") to
// faas.document.operation: a created object is an insert, a removed or
// expired one a delete, anything else done to it (restore, tagging,
// transition) an edit.
func s3Operation(event string) attribute.KeyValue {
	switch {
	case event == "":
		return attribute.KeyValue{}
	case strings.HasPrefix(event, "ObjectCreated:"):
		return semconv.FaaSDocumentOperationInsert
	case strings.HasPrefix(event, "ObjectRemoved:"), strings.HasPrefix(event, "LifecycleExpiration:"):
		return semconv.FaaSDocumentOperationDelete
	}
	return semconv.FaaSDocumentOperationEdit
}
