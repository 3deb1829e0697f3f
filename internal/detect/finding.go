package detect

// Kind names what a Finding is about; guard exports the same values.
type Kind string

// The kinds of findings.
const (
	KindGlobal    Kind = "global"
	KindEnv       Kind = "env"
	KindCwd       Kind = "cwd"
	KindFD        Kind = "fd"
	KindTempFile  Kind = "tempfile"
	KindGoroutine Kind = "goroutine"
	KindTaint     Kind = "taint"
	KindDetector  Kind = "detector"
)

// Finding is one thing that outlived an invocation, scrubbed of request
// data by the time a Reporter sees it.
type Finding struct {
	Kind     Kind
	Name     string
	Path     string
	Detail   string
	InFlight []string
	Record   string // the batch record it is attributed to: an identifier, not scrubbed
}

// Report is what one invocation's end found.
type Report struct {
	InvocationID string
	Findings     []Finding
}
