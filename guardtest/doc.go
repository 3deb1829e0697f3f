// Package guardtest runs a Lambda handler the way a warm execution
// environment does — invocation after invocation in one process, or several
// at once — with the guard in debug mode, and fails the test when state
// outlives an invocation.
//
//	func TestNoLeaks(t *testing.T) {
//		guardtest.Run(t, handler,
//			events.APIGatewayV2HTTPRequest{QueryStringParameters: map[string]string{"message": "hoge"}},
//			events.APIGatewayV2HTTPRequest{QueryStringParameters: map[string]string{"message": "fuga"}},
//		)
//	}
//
// Beyond what debug mode reports per invocation (watched variables, the
// environment, the working directory, file descriptors, stray temp files,
// goroutines), guardtest checks every response for data of an earlier
// invocation's request: the check that catches a warm start serving the
// previous caller's value.
//
// Register the handler's package-level variables with guard.Watch first
// (from init or TestMain) so that changes to them are seen.
package guardtest
