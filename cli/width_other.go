//go:build !unix

package cli

import "os"

// windowWidth cannot ask the terminal here: without $COLUMNS, no limit.
func windowWidth(*os.File) int { return 0 }
