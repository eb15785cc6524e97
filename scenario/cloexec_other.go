//go:build !unix

package scenario

import "os"

// closeOnExec does nothing where descriptors are not inherited by default.
func closeOnExec(*os.File) {}
