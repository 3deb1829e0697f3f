// Command broken does not compile, on purpose: the lambdaguard tests check that a package
// that does not build gets a clear error.
package main

func main() {
	var n int = "not a number"
	_ = n
}
