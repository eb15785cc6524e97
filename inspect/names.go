package inspect

import (
	"debug/elf"
	"fmt"
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
	f, err := elf.Open(exe)
	if err != nil {
		return names{}, fmt.Errorf("reading %s: %w", exe, err)
	}
	defer f.Close()
	if f.Type == elf.ET_DYN {
		// A position-independent executable: where it was loaded, and so
		// what its addresses were in the process, the dump does not say.
		return noNames(), nil
	}
	syms, err := f.Symbols()
	if err != nil {
		return names{}, fmt.Errorf("%s has no symbol table (built with -ldflags=-s?): %w", exe, err)
	}
	funcs := map[uint64]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			funcs[s.Value] = s.Name
		}
	}
	globals := elfSymbols(exe)
	sortSymbols(globals)
	dw := sync.OnceValue(func() *dwarfInfo { return loadDWARF(exe) })
	n := names{
		dw: dw,
		fn: func(pc uint64) string { return funcs[pc] },
		global: func(addr uint64) (string, uint64, bool) {
			if s, ok := globals.lookup(addr); ok {
				return s.name, addr - s.addr, true
			}
			return "", 0, false
		},
	}
	return n, nil
}
