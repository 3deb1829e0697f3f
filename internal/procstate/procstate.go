// Package procstate records the state of the process that outlives a Lambda
// invocation without anybody registering it: environment variables, the
// working directory, open file descriptors and the entries directly under the
// temp base. Take records it; Diff says what changed.
package procstate

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// State is the process state at one moment.
type State struct {
	Env    map[string]string
	Cwd    string
	FDs    map[int]string // fd → what it refers to (readlink of /proc/self/fd/N)
	Temp   map[string]Entry
	Errors []error // what could not be read; the rest is still valid
}

// Entry is what is recorded of an entry under the temp base.
type Entry struct {
	Size    int64
	ModTime int64 // UnixNano
}

// Options say what to record.
type Options struct {
	TempBase string // directory whose direct entries are recorded; "" skips it
	NoFDs    bool
	NoEnv    bool // skip the environment and the working directory
}

// Take records the process state now.
func Take(o Options) *State {
	s := &State{}
	var err error
	if !o.NoEnv {
		s.Env = make(map[string]string)
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			s.Env[k] = v
		}
		if s.Cwd, err = os.Getwd(); err != nil {
			s.Errors = append(s.Errors, err)
		}
	}
	if !o.NoFDs {
		s.FDs, err = fds()
		if err != nil {
			s.Errors = append(s.Errors, err)
		}
	}
	if o.TempBase != "" {
		s.Temp = make(map[string]Entry)
		entries, err := os.ReadDir(o.TempBase)
		if err != nil {
			s.Errors = append(s.Errors, err)
		}
		for _, e := range entries {
			var ent Entry
			if info, err := e.Info(); err == nil {
				ent = Entry{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
			}
			s.Temp[e.Name()] = ent
		}
	}
	return s
}

// procSelf is what the targets of descriptors on this process's own /proc
// entries start with.
var procSelf = "/proc/" + strconv.Itoa(os.Getpid()) + "/"

// fds lists the open file descriptors through /proc/self/fd (Linux, as on
// Lambda). Elsewhere it reports an error and nothing. Descriptors on this
// process's own /proc entries are left out: snapshots of invocations that
// run at once open them, and one must not report another's.
func fds() (map[int]string, error) {
	const dir = "/proc/self/fd"
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	self := int(f.Fd())
	out := make(map[int]string, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd == self {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil {
			continue // closed since we listed it
		}
		if strings.HasPrefix(target, procSelf) {
			// Another snapshot, of a concurrent invocation, reading
			// /proc/self/fd or /proc/self/net/tcp right now: not a leak.
			continue
		}
		out[fd] = target
	}
	return out, nil
}

// Change is one difference between two states.
type Change struct {
	What What
	Name string // variable name, fd number, entry name
	Op   Op
	Old  string
	New  string
}

// What is the part of the process state a Change is about.
type What string

// The parts of the process state Diff compares.
const (
	Env  What = "env"  // an environment variable
	Cwd  What = "cwd"  // the working directory
	FD   What = "fd"   // an open file descriptor
	Temp What = "temp" // an entry directly under the temp base
)

// Op is what happened to it.
type Op string

// What Diff reports.
const (
	Set      Op = "set"      // an environment variable that was not there
	Changed  Op = "changed"  // an environment variable or the working directory
	Unset    Op = "unset"    // an environment variable that is gone
	Opened   Op = "opened"   // a descriptor
	Created  Op = "created"  // an entry under the temp base
	Modified Op = "modified" // an entry under the temp base written since
)

// runtimeFDs are descriptors the Go runtime and aws-lambda-go open on their
// own, once, the first time they need them.
func runtimeFD(target string) bool {
	return target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]"
}

// Diff returns what changed from a to b, sorted. Descriptors that the Go
// runtime opens for itself (the netpoller's epoll and eventfd) are left out.
// ignoreEnv names variables to leave out.
func Diff(a, b *State, ignoreEnv func(string) bool) []Change {
	var out []Change
	for k, v := range b.Env {
		if ignoreEnv != nil && ignoreEnv(k) {
			continue
		}
		if old, ok := a.Env[k]; !ok {
			out = append(out, Change{What: Env, Name: k, Op: Set, New: v})
		} else if old != v {
			out = append(out, Change{What: Env, Name: k, Op: Changed, Old: old, New: v})
		}
	}
	for k, v := range a.Env {
		if ignoreEnv != nil && ignoreEnv(k) {
			continue
		}
		if _, ok := b.Env[k]; !ok {
			out = append(out, Change{What: Env, Name: k, Op: Unset, Old: v})
		}
	}
	if a.Cwd != b.Cwd && a.Cwd != "" && b.Cwd != "" {
		out = append(out, Change{What: Cwd, Name: "cwd", Op: Changed, Old: a.Cwd, New: b.Cwd})
	}
	if a.FDs != nil && b.FDs != nil {
		for fd, target := range b.FDs {
			if old, ok := a.FDs[fd]; (!ok || old != target) && !runtimeFD(target) {
				out = append(out, Change{What: FD, Name: strconv.Itoa(fd), Op: Opened, New: target})
			}
		}
	}
	if a.Temp != nil && b.Temp != nil {
		for name, e := range b.Temp {
			if old, ok := a.Temp[name]; !ok {
				out = append(out, Change{What: Temp, Name: name, Op: Created})
			} else if old != e {
				out = append(out, Change{What: Temp, Name: name, Op: Modified})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].What != out[j].What {
			return out[i].What < out[j].What
		}
		return out[i].Name < out[j].Name
	})
	return out
}
