// Package bench holds lambdaguard's comparative benchmarks: the guard and its
// tracing measured side by side with a bare aws-lambda-go handler and with
// OpenTelemetry's otellambda, through lambda.NewHandler(...).Invoke as
// aws-lambda-go calls a function.
//
// It is a module of its own so that otellambda, which it measures against,
// never enters the dependencies of lambdaguard's users. The root module's
// `go test ./...` does not reach it; scripts/bench.sh runs it and writes
// docs/BENCHMARKS.md:
//
//	cd bench && go test -run '^$' -bench . -benchmem
//
// Its commands build the binaries whose size and start-up the script
// reports: bare is examples/basic without the guard, traced is examples/basic
// with tracing, syscount invokes a handler in a loop for strace.
package bench
