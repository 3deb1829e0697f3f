package runtimeapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newTraceID returns an X-Ray trace header as Lambda sends it in Lambda-Runtime-Trace-Id:
// Root=1-<8 hex digits of epoch seconds>-<24 hex digits>;Parent=<16 hex digits>;Sampled=1.
func newTraceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=1", now.Unix(), randomHex(24), randomHex(16))
}

// logStreamName is the shape of AWS_LAMBDA_LOG_STREAM_NAME: 2006/01/02/[$LATEST]<32 hex>.
func logStreamName(now time.Time, version string) string {
	return now.UTC().Format("2006/01/02") + "/[" + version + "]" + randomHex(32)
}
