package runtimeapi

import (
	"path/filepath"
	"strconv"
	"time"
)

// Config describes the function the way its Lambda configuration would. The zero value is
// usable: every field has the default Lambda gives a new function.
type Config struct {
	Name     string // AWS_LAMBDA_FUNCTION_NAME; default "function"
	Version  string // AWS_LAMBDA_FUNCTION_VERSION; default "$LATEST"
	MemoryMB int    // AWS_LAMBDA_FUNCTION_MEMORY_SIZE; default 128
	Region   string // AWS_REGION and AWS_DEFAULT_REGION; default "us-east-1"
	Handler  string // _HANDLER; default "bootstrap"
	// Timeout is the function timeout: the deadline sent with each invocation is its
	// delivery time plus Timeout. Default 3s, Lambda's default.
	Timeout time.Duration
	// Concurrency above 1 sets AWS_LAMBDA_MAX_CONCURRENCY, which makes aws-lambda-go poll for
	// that many invocations at once (Lambda Managed Instances).
	Concurrency int
	// InitTimeout bounds the time from process start to its first GET .../next; past it the
	// process is killed and the init reported as failed. Default 10s, Lambda's init limit.
	InitTimeout time.Duration
	// TempDir is given to the function as TMPDIR, standing in for the private /tmp of a
	// Lambda execution environment: what one process leaves there the next one finds, and
	// the host's own temp files stay out of the function's sight (and out of reach of a
	// sweep). Default: a directory Start makes and Close removes.
	TempDir string
	// Env holds extra KEY=VALUE entries added after (and so overriding) the Lambda ones.
	Env []string
	// Logs receives each line the function writes to stdout or stderr. Calls are serialized.
	// Nil discards the output.
	Logs func(Line)
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "function"
	}
	if c.Version == "" {
		c.Version = "$LATEST"
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = 128
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Handler == "" {
		c.Handler = "bootstrap"
	}
	if c.Timeout <= 0 {
		c.Timeout = 3 * time.Second
	}
	if c.Concurrency < 1 {
		c.Concurrency = 1
	}
	if c.InitTimeout <= 0 {
		c.InitTimeout = 10 * time.Second
	}
	return c
}

// ARN is the invoked function ARN sent in Lambda-Runtime-Invoked-Function-Arn, in the
// documentation account 123456789012.
func (c Config) ARN() string {
	c = c.withDefaults()
	return "arn:aws:lambda:" + c.Region + ":123456789012:function:" + c.Name
}

// Environ returns the environment Lambda gives a function's process (the provided.al2023
// runtime), for a Runtime API at addr and a bootstrap at binary, followed by c.Env. No
// variable is inherited from the calling process and no credentials are set.
func (c Config) Environ(addr, binary string) []string {
	c = c.withDefaults()
	now := time.Now()
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=" + c.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + logStreamName(now, c.Version),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + c.Region,
		"AWS_DEFAULT_REGION=" + c.Region,
		"_HANDLER=" + c.Handler,
		"LAMBDA_TASK_ROOT=" + filepath.Dir(binary),
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"TZ=:UTC",
	}
	if c.TempDir != "" {
		env = append(env, "TMPDIR="+c.TempDir)
	}
	if c.Concurrency > 1 {
		env = append(env, "AWS_LAMBDA_MAX_CONCURRENCY="+strconv.Itoa(c.Concurrency))
	}
	return append(env, c.Env...)
}
