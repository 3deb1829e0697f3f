package scope_test

import (
	"context"
	"fmt"

	"github.com/lambdaguard/lambdaguard/scope"
)

var userKey = scope.NewKey[string]("user")

func Example() {
	s := scope.New(context.Background())
	ctx := scope.NewContext(context.Background(), s)

	_ = userKey.Set(ctx, "alice")
	_ = s.OnClose(func(context.Context) error { fmt.Println("cleanup 1"); return nil })
	_ = s.OnClose(func(context.Context) error { fmt.Println("cleanup 2"); return nil })
	var sent string
	_ = s.Go(func(context.Context) error { sent = "report sent"; return nil })

	user, _ := userKey.Get(ctx)
	fmt.Println("user:", user)

	_ = s.Close(ctx) // waits for Go work, runs cleanups LIFO, empties the scope
	fmt.Println(sent)
	_, ok := userKey.Get(ctx)
	fmt.Println("after close:", ok)
	// Output:
	// user: alice
	// cleanup 2
	// cleanup 1
	// report sent
	// after close: false
}
