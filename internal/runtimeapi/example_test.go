package runtimeapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

// A Server on its own, with a hand-written runtime in a goroutine. A real runtime is a
// bootstrap started with AWS_LAMBDA_RUNTIME_API=srv.Addr(): see Function.
func ExampleServer() {
	srv, err := runtimeapi.NewServer(runtimeapi.Config{Name: "hello"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		resp, err := client.Get(srv.URL() + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			return
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		reply := strings.NewReader(`{"echo":` + string(event) + `}`)
		if resp, err := client.Post(srv.URL()+"/2018-06-01/runtime/invocation/"+id+"/response", "application/json", reply); err == nil {
			resp.Body.Close()
		}
	}()

	res, err := srv.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(`"hi"`)})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.Payload), res.Error == nil, res.ColdStart)
	// Output: {"echo":"hi"} true true
}

// A Function runs a compiled bootstrap the way Lambda does.
func ExampleFunction() {
	f, err := runtimeapi.Start("./bootstrap", runtimeapi.Config{
		Name: "hello",
		Logs: func(l runtimeapi.Line) { fmt.Printf("[%s] %s\n", l.Stream, l.Text) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close() // SIGTERM if the function asked for it, then SIGKILL

	for _, event := range []string{`{"message":"hoge"}`, `{"message":"fuga"}`} {
		res, err := f.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(event)})
		switch {
		case err != nil:
			fmt.Println(err)
		case res.Error != nil:
			fmt.Println("error:", res.Error)
		default:
			fmt.Printf("cold=%v %s\n", res.ColdStart, res.Payload)
		}
		_ = f.Freeze() // between invocations, as Lambda does
		_ = f.Thaw()
	}
}
