package guard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

type Order struct {
	ID string `json:"id"`
}

func ExampleWrap() {
	var dirs []string
	handler := func(ctx context.Context, o Order) (string, error) {
		dir, err := guard.TempDir(ctx) // this invocation's own directory
		if err != nil {
			return "", err
		}
		dirs = append(dirs, dir)
		if err := os.WriteFile(filepath.Join(dir, "order.json"), []byte(o.ID), 0o600); err != nil {
			return "", err
		}
		_ = scope.From(ctx).OnClose(func(context.Context) error {
			fmt.Println("cleanup for", o.ID)
			return nil
		})
		inv, _ := guard.InvocationFrom(ctx)
		return fmt.Sprintf("order %s, invocation %d, cold start %v", o.ID, inv.Number, inv.ColdStart), nil
	}

	h := guard.Wrap(handler) // or guard.Start(handler) in main
	for _, id := range []string{"A-1", "B-2"} {
		out, _ := h(context.Background(), Order{ID: id})
		fmt.Println(out)
	}
	for _, d := range dirs {
		_, err := os.Stat(d)
		fmt.Println("directory gone:", os.IsNotExist(err))
	}
	// Output:
	// cleanup for A-1
	// order A-1, invocation 1, cold start true
	// cleanup for B-2
	// order B-2, invocation 2, cold start false
	// directory gone: true
	// directory gone: true
}
