// Package vet is a static check for AWS Lambda functions written in Go: a
// go/analysis analyzer that finds what a handler leaves behind for the next
// invocation on a warm execution environment, before anything runs.
//
// Lambda reuses an execution environment: after a handler returns the
// process is frozen, and the next request may thaw it. Everything outside
// the handler survives. A linter that flags every global drowns the real
// bug in var client = &http.Client{} noise; this one knows what a handler
// is, and reports only what a handler reaches.
//
// # Handlers
//
// A handler is a function passed to guard.Start, guard.Wrap,
// guard.WrapHandler or guard.HTTP, a record handler passed to guard.SQS,
// guard.Kinesis or guard.DynamoDB, or one passed to aws-lambda-go's lambda.Start,
// lambda.StartWithOptions, lambda.StartHandler, lambda.StartHandlerFunc or
// lambda.NewHandler: a named function, a function literal, a method value
// (f.handle), what a function of the package returns (a handler built by a
// constructor), a function kept in a package-level variable, the functions
// given to a wrapper from another package (otellambda.InstrumentHandler(h),
// a middleware), or — for WrapHandler, StartHandler and HTTP — the Invoke or
// ServeHTTP method of the value passed. A handler declared in a _test.go
// file is a test's, which records what it saw in the test's variables on
// purpose: it is not checked (the function's own handlers are, wherever
// they are registered). From each handler the analyzer
// follows the calls it makes within the package (SSA from
// golang.org/x/tools/go/ssa): static calls, calls through an interface to a
// method of one of the package's types, goroutines, and function values
// handed to other packages (sort.Slice's less, scope.Go's work), which are
// taken to run during the invocation.
//
// # Findings
//
// Each finding names the variable or call, the handler it is reachable
// from and the call path ("handler handle: handle → save → go flush"):
//
//   - writes to state that outlives the invocation: assignment, ++, map
//     insert and delete, append stored back, writes through fields,
//     elements and pointers reached from a package-level variable, the
//     mutators of sync.Map and of the sync/atomic types; the same through a
//     variable a handler closure captured, or through the receiver of a
//     handler method, which live as long as the handler does. A function
//     that writes through a parameter is reported when the handler passes
//     it such state.
//   - os.Setenv, os.Unsetenv, os.Clearenv and os.Chdir: process-wide, seen
//     by every later invocation and every concurrent one.
//   - files and directories created under the process temp dir —
//     os.TempDir(), "/tmp", os.CreateTemp("", …), os.MkdirTemp("", …) —
//     rather than in guard.TempDir or guard.TempRoot, unless the same
//     function removes them (os.Remove or os.RemoveAll of the path, of the
//     directory, or of the file's Name(), deferred or not).
//   - goroutines started and not joined before the handler returns: the
//     analysis can tell when the function that starts one waits for
//     nothing (no channel receive, no select, no Wait call). Use scope.Go.
//   - clients and pools built per invocation: an http.Transport (what gives
//     an http.Client a transport of its own), http.Transport.Clone,
//     sql.Open, sql.OpenDB, pgx.Connect, pgxpool.New and
//     aws-sdk-go-v2's config.LoadDefaultConfig. Their connections die in
//     the freeze and each invocation pays a handshake; build them once,
//     outside the handler (guard.NewShared).
//
// # What is not reported
//
// Code no handler reaches: init, main before it starts the handler, and
// the function given to sync.Once.Do, sync.OnceFunc, sync.OnceValue,
// sync.OnceValues or guard.NewShared, which run once per process. Reads:
// a compiled regexp or a client read by every invocation is not a finding.
// Scope keys (scope.NewKey): the values live in each invocation's scope.
// Paths under guard.TempDir and guard.TempRoot.
//
// A variable that is shared across invocations on purpose — a pool, a
// cache whose entries are not per caller — is declared so once, and is
// then not reported: with guard.Ignore(name, &v) anywhere in
// the package, or with the //lambdaguard:shared directive (see [Directive])
// on the line before its declaration, before a var block for every
// variable in it, or at the end of its line.
//
// A write under a held sync.Mutex is reported all the same: the lock keeps
// concurrent invocations from racing, it does nothing against the warm
// start, where the next caller reads what the last one left (the
// guard.GuardedBy variable of examples/leaky is exactly that bug). Declare
// the variable shared if keeping it is the point.
//
// The guard package's own handlers are not analysed: the state they keep
// across invocations (the invocation counter) is what tells invocations
// apart.
//
// # Other packages
//
// Calls into the other packages of the modules being worked on are
// followed too, through analysis facts: each exported function and method
// of such a package carries what it does, through its own calls, that
// outlives an invocation, and a handler that calls it gets each of those
// findings at the call, with the place in the other package and the rest
// of the path ("…, at store.go:18:7 (handler handle: handle → store.Put →
// store.remember)"). The standard library and versioned third-party
// modules are not followed. A package gives facts only when it is analysed
// from source: under go vet every dependency is; lambdaguard vet analyses
// the packages it is given, so run it on ./... from the module root.
//
// # Limits
//
// Calls through a function value the handler was given (a parameter, a
// field) are not followed, nor calls through an interface to another
// package's types. A value that a call returns is not traced back into the
// callee: getCache()[k] = v is not reported. A function of another package
// is summarised with nothing bound to its parameters: store.Save(&cache)
// writing through its parameter is not reported at the call.
//
// # Running it
//
// lambdaguard vet runs it on packages ("go list" patterns) and prints one
// finding a line as go vet does, or JSON with -json; its exit status is 3
// when it found something:
//
//	go run github.com/lambdaguard/lambdaguard/cmd/lambdaguard vet ./...
//
// Under go vet, build the command in vet/cmd/lambdaguard-vet (a
// singlechecker main) and pass it as the vet tool:
//
//	go build -o /tmp/lambdaguard-vet github.com/lambdaguard/lambdaguard/vet/cmd/lambdaguard-vet
//	go vet -vettool=/tmp/lambdaguard-vet ./...
//
// In a multichecker of your own, or golangci-lint's module plugin system,
// add [Analyzer] to the list.
package vet
