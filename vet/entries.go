package vet

// The functions this analyzer knows by name, keyed by the package path and
// name a *types.Func prints as with types.Func.FullName (methods as
// "(*net/http.Transport).Clone").

const (
	guardPath  = "github.com/lambdaguard/lambdaguard/guard"
	scopePath  = "github.com/lambdaguard/lambdaguard/scope"
	lambdaPath = "github.com/aws/aws-lambda-go/lambda"
)

// handlerArg says which argument of a handler-taking function is the
// handler, and what it is: a function, a value whose Invoke or ServeHTTP
// method is the handler, or either (aws-lambda-go's reflection-based entry
// points take a function or a lambda.Handler as an interface{}).
type handlerArg struct {
	index int
	kind  handlerKind
}

type handlerKind int

const (
	handlerFunc    handlerKind = iota // a function value
	handlerInvoke                     // a lambda.Handler: its Invoke method
	handlerServe                      // an http.Handler: its ServeHTTP method
	handlerFuncAny                    // interface{}: a function, or a lambda.Handler
)

var handlerEntries = map[string]handlerArg{
	guardPath + ".Start":                    {0, handlerFunc},
	guardPath + ".Wrap":                     {0, handlerFunc},
	guardPath + ".WrapHandler":              {0, handlerInvoke},
	guardPath + ".HTTP":                     {0, handlerServe},
	guardPath + ".SQS":                      {0, handlerFunc}, // the batch helpers: fn runs per record
	guardPath + ".Kinesis":                  {0, handlerFunc},
	guardPath + ".DynamoDB":                 {0, handlerFunc},
	lambdaPath + ".Start":                   {0, handlerFuncAny},
	lambdaPath + ".StartWithOptions":        {0, handlerFuncAny},
	lambdaPath + ".StartWithContext":        {1, handlerFuncAny},
	lambdaPath + ".StartHandler":            {0, handlerInvoke},
	lambdaPath + ".StartHandlerWithContext": {1, handlerInvoke},
	lambdaPath + ".StartHandlerFunc":        {0, handlerFunc},
	lambdaPath + ".NewHandler":              {0, handlerFuncAny},
	lambdaPath + ".NewHandlerWithOptions":   {0, handlerFuncAny},
}

// onceEntries run the function they are given at most once per process:
// what it does is set-up, not per-invocation work, so it is not followed.
var onceEntries = map[string]bool{
	"(*sync.Once).Do":        true,
	"sync.OnceFunc":          true,
	"sync.OnceValue":         true,
	"sync.OnceValues":        true,
	guardPath + ".NewShared": true,
}

// envCalls change process-wide state every later invocation sees.
var envCalls = map[string]string{
	"os.Setenv":   "changes the process environment",
	"os.Unsetenv": "changes the process environment",
	"os.Clearenv": "clears the process environment",
	"os.Chdir":    "changes the process's working directory",
}

// tempCalls create files or directories; the value is the index of the path
// argument, and whether an empty string there means the process temp dir
// (os.CreateTemp and os.MkdirTemp).
var tempCalls = map[string]struct {
	path       int
	emptyIsTmp bool
}{
	"os.Create":     {0, false},
	"os.OpenFile":   {0, false},
	"os.WriteFile":  {0, false},
	"os.Mkdir":      {0, false},
	"os.MkdirAll":   {0, false},
	"os.Symlink":    {1, false},
	"os.Link":       {1, false},
	"os.Rename":     {1, false},
	"os.CreateTemp": {0, true},
	"os.MkdirTemp":  {0, true},
	"os.OpenRoot":   {0, false},

	"io/ioutil.WriteFile": {0, false},
	"io/ioutil.TempFile":  {0, true},
	"io/ioutil.TempDir":   {0, true},
}

// removeCalls remove what a path names: a temp file created and removed in
// the same function is not left behind.
var removeCalls = map[string]bool{
	"os.Remove":    true,
	"os.RemoveAll": true,
}

// clientCalls build a client or a pool whose connections are made for this
// invocation, die in the freeze, and cost a handshake each time.
var clientCalls = map[string]string{
	"database/sql.Open":                                     "sql.Open",
	"database/sql.OpenDB":                                   "sql.OpenDB",
	"github.com/jackc/pgx/v5/pgxpool.New":                   "pgxpool.New",
	"github.com/jackc/pgx/v5/pgxpool.NewWithConfig":         "pgxpool.NewWithConfig",
	"github.com/jackc/pgx/v5.Connect":                       "pgx.Connect",
	"github.com/jackc/pgx/v5.ConnectConfig":                 "pgx.ConnectConfig",
	"github.com/aws/aws-sdk-go-v2/config.LoadDefaultConfig": "config.LoadDefaultConfig",
	"(*net/http.Transport).Clone":                           "http.Transport.Clone",
}

// atomicWrites are the methods and functions that write the value their
// receiver or first argument points to, for the sync/atomic types and
// sync.Map: a package-level counter or sync.Map changed by a handler is
// state the next invocation sees, as much as a plain assignment.
func isAtomicWrite(fullName string) bool {
	switch fullName {
	case "(*sync.Map).Store", "(*sync.Map).LoadOrStore", "(*sync.Map).LoadAndDelete",
		"(*sync.Map).Delete", "(*sync.Map).Swap", "(*sync.Map).CompareAndSwap",
		"(*sync.Map).CompareAndDelete", "(*sync.Map).Clear":
		return true
	}
	for _, prefix := range []string{"(*sync/atomic.", "sync/atomic."} {
		if len(fullName) > len(prefix) && fullName[:len(prefix)] == prefix {
			rest := fullName[len(prefix):]
			for _, op := range []string{"Store", "Add", "Swap", "CompareAndSwap", "And", "Or"} {
				if hasOp(rest, op) {
					return true
				}
			}
		}
	}
	return false
}

// hasOp reports whether name (after the sync/atomic prefix: "Int64).Add" or
// "AddInt64") is the operation op.
func hasOp(name, op string) bool {
	for i := 0; i+len(op) <= len(name); i++ {
		if name[i:i+len(op)] != op {
			continue
		}
		before := i == 0 || name[i-1] == '.'
		after := i+len(op) == len(name) || (name[i+len(op)] >= 'A' && name[i+len(op)] <= 'Z')
		if before && after {
			return true
		}
	}
	return false
}
