package procstate_test

import (
	"fmt"
	"net"
	"os"

	"github.com/lambdaguard/lambdaguard/internal/procstate"
)

func Example() {
	before := procstate.Take(procstate.Options{NoFDs: true})
	os.Setenv("EXAMPLE_LAST_USER", "alice")
	defer os.Unsetenv("EXAMPLE_LAST_USER")

	for _, c := range procstate.Diff(before, procstate.Take(procstate.Options{NoFDs: true}), nil) {
		fmt.Println(c.What, c.Op, c.Name)
	}
	// Output:
	// env set EXAMPLE_LAST_USER
}

// A test's own server accepts the handler's connection: the server's end is
// no leak of the handler's, the handler's own end is.
func ExampleServerSide() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	before := procstate.Take(procstate.Options{})

	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer server.Close()

	after := procstate.Take(procstate.Options{})
	socks := procstate.Sockets()
	for _, c := range procstate.Diff(before, after, nil) {
		if c.What == procstate.FD && socks[c.New].Local != "" {
			fmt.Println("server side:", procstate.ServerSide(c.New, socks, after.FDs))
		}
	}
	// Unordered output:
	// server side: true
	// server side: false
}
