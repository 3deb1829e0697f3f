// Package runtimeapi runs a compiled Lambda function locally, the way Lambda runs it: a
// bootstrap process talks over loopback HTTP to an implementation of the AWS Lambda Runtime
// API (2018-06-01) and of the part of the Extensions API (2020-01-01) that aws-lambda-go's
// lambda.WithEnableSIGTERM uses.
//
// Two types carry it:
//
//   - [Server] is the Runtime API alone, like httptest.Server: it listens on 127.0.0.1, hands
//     queued invocations to whoever calls GET .../invocation/next (with the headers Lambda
//     sends: request id, deadline, function ARN, X-Ray trace id, client context, Cognito
//     identity), collects responses and errors, enforces the 6 MB payload limit and the
//     timeout, and keeps track of registered extensions. It knows nothing about processes.
//   - [Function] starts the bootstrap binary with the environment Lambda gives a function
//     (plus TMPDIR: a private directory standing in for the environment's own /tmp),
//     points it at its own Server, and manages the execution environment's life: a cold start
//     on the first invocation, warm starts after, SIGSTOP/SIGCONT for a freeze and a thaw,
//     a reset past the deadline (SHUTDOWN with reason "timeout" to extensions that asked for
//     it, SIGTERM when an extension is registered, SIGKILL 500 ms later; the next invocation
//     is a cold start in a new process), a new process after a crash, and at Close the
//     same sequence with reason "spindown". Each Result carries the init duration of a cold
//     start and the process's peak resident set, and the function's output is delivered to
//     Config.Logs up to the moment it answered before Invoke returns.
//
// Failures are reported the way Lambda reports them to a synchronous caller: a
// [FunctionError] with errorType "Sandbox.Timedout", "Runtime.ExitError",
// "Function.ResponseSizeTooLarge", or the type the function posted.
//
// The package is internal: it is the machinery behind cmd/lambdaguard and its tests.
package runtimeapi
