//go:build !unix

package inspect

// freeSpace cannot tell here.
func freeSpace(string) (uint64, bool) { return 0, false }
