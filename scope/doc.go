// Package scope is the request-scoped container of a Lambda invocation.
//
// A Scope lives exactly as long as one invocation. It holds typed values
// (see [Key] and [Lazy]), a last-in-first-out list of cleanups registered with
// [Scope.OnClose], and background work started with [Scope.Go] that is waited
// for before the invocation's result goes back. [Scope.Close] drains the
// background work, runs the cleanups and empties the scope; after it, nothing
// that the invocation stored can be reached through the scope any more, so the
// next invocation — on the same warm execution environment, or running at the
// same time in the same process — never sees it.
//
// The scope travels in a [context.Context] ([NewContext], [From]). Nothing is
// kept in package-level variables, which is what makes a scope safe when
// aws-lambda-go runs several invocations at once (AWS_LAMBDA_MAX_CONCURRENCY > 1).
//
// The guard package opens and closes a scope around every invocation; use this
// package directly only to store and read values, register cleanups and start
// background work.
package scope
