// Package guard keeps the invocations of an AWS Lambda function apart.
//
// A Lambda execution environment is reused: after a handler returns, the
// process is frozen and thawed for the next request, and package-level
// variables, files under /tmp and goroutines all survive into it. With
// AWS_LAMBDA_MAX_CONCURRENCY > 1, aws-lambda-go even runs several invocations
// at once in one process. guard makes the boundary between invocations
// explicit:
//
//   - [Wrap] (and [Start], [WrapHandler], [HTTP]) give every invocation its own
//     request-scoped container (package scope: typed values, cleanups,
//     awaited background work) and its own temp directory ([TempDir],
//     [TempRoot]), made only when asked for;
//   - when the handler returns — with a result, an error, a panic or past its
//     deadline — background work is drained, cleanups run and the directory
//     is wiped, bounded by the invocation's deadline;
//   - a streamed result (an io.Reader, a function URL's streaming response)
//     keeps its invocation open until the body has been read;
//   - [SQS], [Kinesis] and [DynamoDB] give each record of a batch a scope and
//     a temp directory of its own, and turn a record's failure into the
//     partial batch response;
//   - [AddLogAttrs] and [NewLogHandler] keep log keys in the invocation (or
//     the record), gone when it ends;
//   - [InvocationFrom] tells the request id, whether this is a cold start and
//     how long the environment sat idle (frozen, most often) before it; hooks
//     given with [OnThaw] run before the handler after a long enough gap;
//   - the handler's context ends a little before the real deadline
//     ([WithCleanupReserve]), and background work still running then is
//     cancelled and reported, so that cleanups always get time;
//   - what lives across invocations on purpose — a database connection, an
//     *http.Client — is declared with [NewShared] or [SharedHTTPClient]: built
//     once, checked after a freeze and rebuilt if stale, left out of leak
//     reports, and closed at shutdown ([CloseShared], run by [Start] on
//     SIGTERM with the hooks given with [WithShutdown]);
//   - Lambda's quotas — /tmp size, file descriptors, response size — are
//     watched, with a warning in the log when one is nearly used up
//     ([WithLimits]);
//   - in debug mode ([WithDebug], LAMBDAGUARD_DEBUG=1) each invocation is
//     checked for what it leaves behind: the variables registered with
//     [Watch], the environment, the working directory, open descriptors,
//     stray temp files and goroutines, each finding a [Report] with the
//     values redacted.
//
// Per-invocation state travels in the context only; a wrapped handler is safe
// for concurrent invocations. Cleanup failures are logged and never change
// the handler's result.
//
//	func handler(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
//		dir, err := guard.TempDir(ctx) // this invocation's own, wiped on return
//		...
//	}
//
//	func main() { guard.Start(handler) }
package guard
