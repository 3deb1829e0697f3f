package runtimeapi

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
)

// Line is one line the function wrote, without its newline.
type Line struct {
	Stream string // "stdout" or "stderr"
	Text   string
	PID    int
}

// lineWriter splits what a process writes into lines for emit.
type lineWriter struct {
	stream string
	pid    func() int
	emit   func(Line)

	mu  sync.Mutex
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(Line{Stream: w.stream, Text: string(w.buf[:i]), PID: w.pid()})
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil // let a large line's buffer go
	}
	return len(p), nil
}

// flush emits an unterminated last line.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(Line{Stream: w.stream, Text: string(w.buf), PID: w.pid()})
		w.buf = nil
	}
}

// pipeReader reads one of the process's output pipes into a lineWriter. Unlike the copy
// exec.Cmd makes, it can be caught up: sync returns once every byte the process wrote
// before the call has been emitted. The runtime posts its response over HTTP after it wrote
// the invocation's log lines to the pipe, so a sync when the response arrives puts each
// line before the invocation's end, not under the next one.
type pipeReader struct {
	f  *os.File // the read end, non-blocking (os.Pipe makes it so)
	rc syscall.RawConn
	w  *lineWriter

	mu   sync.Mutex // held while bytes are read and emitted, by run and by sync
	buf  []byte
	done chan struct{} // closed when run returns
}

func newPipeReader(f *os.File, w *lineWriter) (*pipeReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &pipeReader{f: f, rc: rc, w: w, buf: make([]byte, 32<<10), done: make(chan struct{})}, nil
}

// run reads until the pipe's last writer closes it, or the pipe is closed.
func (r *pipeReader) run() {
	defer close(r.done)
	for {
		eof := false
		err := r.rc.Read(func(fd uintptr) bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			n, err := r.drainLocked(fd)
			if errors.Is(err, errAgain) && n == 0 {
				return false // wait until readable
			}
			eof = err == nil || !errors.Is(err, errAgain)
			return true
		})
		if err != nil || eof {
			break
		}
	}
	r.w.flush()
}

// drainLocked reads and emits what the pipe holds. It returns nil at the end of the pipe,
// EAGAIN when the pipe is empty for now, or the read error.
func (r *pipeReader) drainLocked(fd uintptr) (int, error) {
	total := 0
	for {
		n, err := readFD(fd, r.buf)
		if n > 0 {
			total += n
			_, _ = r.w.Write(r.buf[:n])
			continue
		}
		switch {
		case errors.Is(err, errInterrupted):
			continue
		case err == nil: // n == 0: every writer has closed the pipe
			return total, nil
		}
		return total, err
	}
}

// sync emits what the process has written so far.
func (r *pipeReader) sync() {
	_ = r.rc.Control(func(fd uintptr) {
		r.mu.Lock()
		defer r.mu.Unlock()
		_, _ = r.drainLocked(fd)
	})
}
