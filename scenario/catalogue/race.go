//go:build race

package catalogue

// raceEnabled reports whether this is a -race build, which changes what the
// allocator does (see tiny-objects).
const raceEnabled = true
