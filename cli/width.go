package cli

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// terminalWidth is the width tables drawn on the terminal w should fit:
// $COLUMNS when set (the shell's, or the user's choice), else what the
// terminal says, else 0 (no limit).
func terminalWidth(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok {
		return windowWidth(f)
	}
	return 0
}
