package inspect

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"sync"
)

// names turns the addresses in a heap dump into names: function entries,
// global variables and, for a dump of this very process, type words.
type names struct {
	fn     func(pc uint64) string
	global func(addr uint64) (name string, off uint64, ok bool)
	// own says that the dump is of this process, so that type words
	// can be read from memory.
	own bool
	// dw, if set, gives the executable's DWARF, read when first needed.
	dw func() *dwarfInfo
}

// dwarf is the executable's DWARF, or nil.
func (n names) dwarf() *dwarfInfo {
	if n.dw == nil {
		return nil
	}
	return n.dw()
}

// ownDWARF is this executable's DWARF, read once.
var ownDWARF = sync.OnceValue(func() *dwarfInfo {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return loadDWARF(exe)
})

// ownNames names what this process's dump holds: from the runtime, the
// executable's symbol table and NameGlobal. own says whether type words
// may be read (the dump is of this process's runtime).
func ownNames(own bool) names {
	return names{fn: funcName, global: globalName, own: own, dw: ownDWARF}
}

// noNames names nothing: a dump of another program without its binary.
func noNames() names {
	return names{
		fn:     func(uint64) string { return "" },
		global: func(uint64) (string, uint64, bool) { return "", 0, false },
	}
}

// exeNames names what a dump of the program built as exe holds, from its
// ELF symbol table: functions by their entry address, globals by their
// extent. Go links executables at fixed addresses unless asked for a PIE,
// whose addresses a dump cannot relate to the file: for a PIE, nothing is
// named, as without the binary.
func exeNames(exe string) (names, error) {
	f, err := os.Open(exe)
	if err != nil {
		return names{}, fmt.Errorf("reading %s: %w", exe, err)
	}
	defer f.Close()
	n, err := exeNamesFrom(f)
	if err != nil {
		return names{}, fmt.Errorf("%s: %w", exe, err)
	}
	if n.fn != nil && n.dw == nil {
		n.dw = sync.OnceValue(func() *dwarfInfo { return loadDWARF(exe) })
	}
	return n, nil
}

// exeNamesFrom is exeNames for the executable r, without its DWARF.
func exeNamesFrom(r io.ReaderAt) (n names, err error) {
	defer func() {
		// debug/elf does not promise to survive every malformed file.
		if p := recover(); p != nil {
			n, err = names{}, fmt.Errorf("not a readable ELF executable: %v", p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return names{}, fmt.Errorf("not an ELF executable: %w", err)
	}
	if f.Type == elf.ET_DYN {
		// A position-independent executable: where it was loaded, and so
		// what its addresses were in the process, the dump does not say.
		nn := noNames()
		nn.dw = func() *dwarfInfo { return nil }
		return nn, nil
	}
	syms, err := f.Symbols()
	if err != nil {
		return names{}, fmt.Errorf("no symbol table (built with -ldflags=-s?): %w", err)
	}
	funcs := map[uint64]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			funcs[s.Value] = s.Name
		}
	}
	globals := elfFileSymbols(f)
	sortSymbols(globals)
	return names{
		fn: func(pc uint64) string { return funcs[pc] },
		global: func(addr uint64) (string, uint64, bool) {
			if s, ok := globals.lookup(addr); ok {
				return s.name, addr - s.addr, true
			}
			return "", 0, false
		},
	}, nil
}
