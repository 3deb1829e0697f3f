package envfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "plain", in: "A=1\nB=two words\n", want: []string{"A=1", "B=two words"}},
		{name: "blanks and comments", in: "\n  # c\n\t\nA=1\n#B=2\n", want: []string{"A=1"}},
		{name: "export", in: "export A=1\nexport  B = 2", want: []string{"A=1", "B=2"}},
		{name: "empty value", in: "A=\nB=  \nC=''\nD=\"\"", want: []string{"A=", "B=", "C=", "D="}},
		{name: "inline comment", in: "A=x #note\nB=x#y\nC=x\t# tab", want: []string{"A=x", "B=x#y", "C=x"}},
		{name: "single quotes are literal", in: `A='a\nb "c" #d ${E}'`, want: []string{`A=a\nb "c" #d ${E}`}},
		{name: "double quotes escape", in: `A="a\nb\t\"c\" \\ \x #d" # note`, want: []string{"A=a\nb\t\"c\" \\ \\x #d"}},
		{name: "equals in the value", in: "URL=postgres://u:p@h/db?sslmode=disable&a=b", want: []string{"URL=postgres://u:p@h/db?sslmode=disable&a=b"}},
		{name: "crlf and bom", in: "\ufeffA=1\r\nB=2\r\n", want: []string{"A=1", "B=2"}},
		{name: "no interpolation", in: "A=${HOME}/x", want: []string{"A=${HOME}/x"}},
		{name: "dotted key", in: "log.level=debug", want: []string{"log.level=debug"}},
		{name: "repeated key kept in order", in: "A=1\nA=2", want: []string{"A=1", "A=2"}},
		{name: "empty file", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("x.env", []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "no equals", in: "A=1\nHOME\n", want: "x.env:2: want KEY=VALUE"},
		{name: "empty key", in: "=1", want: `x.env:1: "" is not a variable name`},
		{name: "bad key", in: "1A=1", want: `"1A" is not a variable name`},
		{name: "quoted key", in: `"A"=1`, want: `"\"A\"" is not a variable name`},
		{name: "space in key", in: "A B=1", want: `"A B" is not a variable name`},
		{name: "unclosed single", in: "A='x", want: "x.env:1: A: the single quote is not closed on its line"},
		{name: "unclosed double", in: `A="x\"`, want: "A: the double quote is not closed on its line"},
		{name: "after the quote", in: `A="x"y`, want: `A: unexpected "y" after the closing quote`},
		{name: "nul", in: "A=\"a\x00\"", want: "NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.env", []byte(tt.in))
			require.ErrorIs(t, err, ErrSyntax)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fn.env")
	require.NoError(t, os.WriteFile(path, []byte("A=1\n"), 0o600))
	env, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"A=1"}, env)
	_, err = Load(filepath.Join(t.TempDir(), "none.env"))
	assert.ErrorContains(t, err, "envfile: open ")
	assert.ErrorContains(t, err, "no such file")
}

// FuzzParse: any input either fails with ErrSyntax or gives entries that an environment
// can carry (a valid key, an =, no NUL), one per line at most.
func FuzzParse(f *testing.F) {
	f.Add("A=1\nexport B = 'x' # c\nC=\"a\\nb\"\n")
	f.Add("# only a comment\n\n")
	f.Add("A=\"unclosed")
	f.Add("\ufeffA=x #y\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		env, err := Parse("fuzz.env", []byte(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "envfile: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if len(env) > strings.Count(in, "\n")+1 {
			t.Fatalf("%d entries from %d lines", len(env), strings.Count(in, "\n")+1)
		}
		for _, kv := range env {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || !validKey(k) || strings.ContainsRune(kv, 0) {
				t.Fatalf("bad entry %q from %q", kv, in)
			}
		}
	})
}
