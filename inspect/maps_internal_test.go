package inspect

import (
	"reflect"
	"testing"
)

// Map internals are named only where a typed step anchors them and the
// sizes and offsets match the runtime's layouts; anything else is left.
func TestNameMapInternals(t *testing.T) {
	types := func(steps []Step) []string {
		var out []string
		for _, s := range steps {
			out = append(out, s.Type)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		steps []Step
		want  []string
	}{
		{"directory map", []Step{
			{Size: 48, Offset: 16}, {Size: 128, Offset: 8}, {Size: 32, Offset: 16},
			{Size: 18432, Offset: 80, Type: "[]map.group[int]*p.T"}, {Size: 48},
		}, []string{"map header", "map directory", "map table", "map[int]*p.T groups", ""}},
		{"typed directory", []Step{
			{Size: 48, Offset: 16}, {Size: 4864, Offset: 200, Type: "[]*maps.table"}, {Size: 32, Offset: 16},
			{Size: 18432, Offset: 8, Type: "[]map.group[string]int"},
		}, []string{"map header", "map directory", "map table", "map[string]int groups"}},
		{"header of another size", []Step{
			{Size: 64, Offset: 16}, {Size: 128, Offset: 8}, {Size: 32, Offset: 16},
			{Size: 18432, Type: "[]map.group[int]int"},
		}, []string{"", "", "map table", "map[int]int groups"}},
		{"table pointer at another offset", []Step{
			{Size: 48, Offset: 16}, {Size: 128, Offset: 8}, {Size: 32, Offset: 8},
			{Size: 18432, Type: "[]map.group[int]int"},
		}, []string{"", "", "", "map[int]int groups"}},
		{"no anchor", []Step{{Size: 48, Offset: 16}, {Size: 32, Offset: 16}, {Size: 48}},
			[]string{"", "", ""}},
		// A root that points straight at a table, such as a map iterator
		// on a stack: nothing before the table to name.
		{"table first", []Step{{Size: 32, Offset: 16}, {Size: 18432, Offset: 8, Type: "[]map.group[int]int"}, {Size: 48}},
			[]string{"map table", "map[int]int groups", ""}},
		{"directory first", []Step{{Size: 64, Offset: 8}, {Size: 32, Offset: 16}, {Size: 18432, Type: "[]map.group[int]int"}},
			[]string{"", "map table", "map[int]int groups"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nameMapInternals(tc.steps)
			if got := types(tc.steps); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("types %q, want %q", got, tc.want)
			}
		})
	}
}
