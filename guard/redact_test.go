package guard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactPath(t *testing.T) {
	r := newRedactor(false)
	k := func(s string) string { return "[" + r.text("key", s) + "]" }
	cases := map[string]string{
		"":                            "",
		".Token":                      ".Token",
		"[3].Name":                    "[3].Name",
		`["user:42"]`:                 k("user:42"),
		`["a\"]b"].X[7]["y"]`:         k(`a"]b`) + ".X[7]" + k("y"),
		"[<main.point Value>]":        k("<main.point Value>"),
		`["unterminated`:              `["unterminated`,
		`.M["ok"][12]`:                ".M" + k("ok") + "[12]",
		`["\xff"]`:                    k("\xff"),
		`[-1]`:                        k("-1"),
		`["s3cr3t-t0ken-abcdef"].Exp`: k("s3cr3t-t0ken-abcdef") + ".Exp",
	}
	for in, want := range cases {
		assert.Equal(t, want, r.path(in), "%q", in)
	}
	assert.Equal(t, `["user:42"]`, newRedactor(true).path(`["user:42"]`), "shown on request")
}

func FuzzRedactPath(f *testing.F) {
	f.Add(`.M["k\"ey"][3]`)
	f.Add(`[`)
	r := newRedactor(false)
	f.Fuzz(func(t *testing.T, p string) { _ = r.path(p) })
}
