package snapshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type point struct{ x, y int }

type private struct {
	byName  map[string]point
	byPoint map[point]string
	nested  map[string]map[int][]string
}

// Maps behind unexported fields are read through a copy of their header
// (SetIterKey refuses read-only maps); their changes must still be seen and
// named, and their non-string keys rendered without calling Interface.
func TestUnexportedMaps(t *testing.T) {
	v := private{
		byName:  map[string]point{"a": {1, 2}},
		byPoint: map[point]string{{1, 2}: "a"},
		nested:  map[string]map[int][]string{"n": {7: {"x"}}},
	}
	s := Take(&v, Limits{})
	assert.Empty(t, s.Truncated)
	c, _ := Diff(s, Take(&v, Limits{}), 0)
	assert.Empty(t, c)

	v.byName["a"] = point{1, 3}
	v.byName["b"] = point{}
	v.byPoint[point{5, 6}] = "token"
	v.nested["n"][7][0] = "y"
	c, _ = Diff(s, Take(&v, Limits{Like: s}), 0)
	assert.Equal(t, []string{
		`added .byName["b"]`,
		`added .byPoint[{5 6}]`,
		`changed .byName["a"].y`,
		`changed .nested["n"][7][0]`,
	}, paths(c))

	var got []string
	Take(&v, Limits{}).Values(func(p, s string) bool { got = append(got, p+"="+s); return true })
	assert.Contains(t, got, `.nested["n"][7][0]=y`)
}

// A size hint changes the cost of a snapshot, never its content.
func TestLikeIsOnlyAHint(t *testing.T) {
	small := map[string]string{"k": "v"}
	big := make(map[int]string, 500)
	for i := range 500 {
		big[i] = "v"
	}
	hint := Take(&big, Limits{})
	s := Take(&small, Limits{Like: hint})
	require.Equal(t, 2, s.Nodes())
	c, _ := Diff(Take(&small, Limits{}), s, 0)
	assert.Empty(t, c)

	capped := Take(&big, Limits{MaxNodes: 100, Like: hint})
	assert.Contains(t, capped.Truncated, "limit 100")
}
