package inspect

import "strings"

// Go maps (Go 1.24 and later) are several heap objects: a 48-byte header
// whose third word points to a directory of tables (or, for a map of up to
// eight entries, straight to its one group); each 32-byte table's third
// word points to its array of groups, where the keys and values are. The
// directory and the group arrays of larger maps carry their types in the
// dump (as []*maps.table and []map.group[K]V); the header and the tables
// are too small to. These are the layouts of internal/runtime/maps.
const (
	mapHeaderSize   = 48
	mapHeaderDirOff = 16 // Map.dirPtr
	mapTableSize    = 32
	mapTableDataOff = 16 // table.groups.data
)

// nameMapInternals names the steps of a path that are a Go map's internals,
// when a typed directory or group array anchors them: the group array
// becomes "map[K]V groups", the directory "map directory", and the
// untyped steps around them "map header" and "map table" when their sizes
// and the offsets of the pointers they hold match those layouts exactly.
// Steps that do not match are left as they are.
func nameMapInternals(steps []Step) {
	untyped := func(i, size int, off uint64) bool {
		return i >= 0 && i < len(steps) && steps[i].Type == "" &&
			(size == 0 || steps[i].Size == uint64(size)) && steps[i].Offset == off
	}
	for i := range steps {
		switch t := steps[i].Type; {
		case strings.HasPrefix(t, "[]map.group["):
			steps[i].Type = "map" + strings.TrimPrefix(t, "[]map.group") + " groups"
			j := i - 1
			if !untyped(j, mapTableSize, mapTableDataOff) {
				continue
			}
			steps[j].Type = "map table"
			// The directory, if untyped (a typed one was named when the
			// loop passed it), and the header before it.
			if j--; j >= 1 && steps[j].Type == "" && steps[j].Offset%8 == 0 && untyped(j-1, mapHeaderSize, mapHeaderDirOff) {
				steps[j].Type = "map directory"
				steps[j-1].Type = "map header"
			}
		case t == "[]*maps.table":
			steps[i].Type = "map directory"
			if untyped(i-1, mapHeaderSize, mapHeaderDirOff) {
				steps[i-1].Type = "map header"
			}
			if untyped(i+1, mapTableSize, mapTableDataOff) {
				steps[i+1].Type = "map table"
			}
		}
	}
}
