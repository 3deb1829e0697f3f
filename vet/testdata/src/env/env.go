package env

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, user string) error {
	_ = os.Setenv("LAST_USER", user) // want `os.Setenv changes the process environment .* \(handler handle: handle\)`
	_ = os.Unsetenv("OTHER")         // want `os.Unsetenv changes the process environment`
	if user == "" {
		os.Clearenv() // want `os.Clearenv clears the process environment`
	}
	return chdir(user)
}

func chdir(dir string) error {
	return os.Chdir(dir) // want `os.Chdir changes the process's working directory .* \(handler handle: handle → chdir\)`
}

func main() {
	_ = os.Setenv("SET_BEFORE_START", "1") // main, before the handler starts: not reported
	lambda.Start(handle)
}
