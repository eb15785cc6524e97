package inspect

import (
	"cmp"
	"debug/elf"
	"debug/macho"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// A symbol names a global variable: [addr, addr+size).
type symbol struct {
	addr, size uint64
	name       string
	typ        string // its Go type, where NameGlobal was told
}

func (s symbol) contains(addr uint64) bool { return addr-s.addr < max(s.size, 1) }

// registered holds the names given with NameGlobal.
var registered struct {
	sync.Mutex
	syms []symbol
}

// NameGlobal registers a name for the global variable p points to, such as
// NameGlobal("example.com/app.registry", &registry), for retention paths to
// start at. The executable's symbol table names globals by itself, but "go
// run" and "go test" build executables without one; names registered here
// stand in for it, with the variable's type T, which a path then shows
// beside the name when the executable has no DWARF to say it. NameGlobal
// also names a value the compiler allocated statically for the variable to
// point to (var c = &Cache{…}). Where the symbol table names a variable, its
// name wins. Registering the same variable again replaces its name; a nil p
// or an empty name is ignored.
func NameGlobal[T any](name string, p *T) {
	if p == nil || name == "" {
		return
	}
	s := symbol{addr: uint64(uintptr(unsafe.Pointer(p))), size: uint64(unsafe.Sizeof(*p)), name: name, typ: reflect.TypeFor[T]().String()}
	registered.Lock()
	defer registered.Unlock()
	registered.syms = slices.DeleteFunc(registered.syms, func(o symbol) bool { return o.addr == s.addr })
	registered.syms = append(registered.syms, s)
}

// registeredType is the Go type NameGlobal was given for the variable
// holding addr, or "".
func registeredType(addr uint64) string {
	registered.Lock()
	defer registered.Unlock()
	for _, s := range registered.syms {
		if s.contains(addr) {
			return s.typ
		}
	}
	return ""
}

// globalName names the global variable holding addr: from the symbol
// table, else from the registered names.
func globalName(addr uint64) (name string, off uint64, ok bool) {
	if s, ok := executableSymbols().lookup(addr); ok {
		return s.name, addr - s.addr, true
	}
	registered.Lock()
	defer registered.Unlock()
	for _, s := range registered.syms {
		if s.contains(addr) {
			return s.name, addr - s.addr, true
		}
	}
	return "", 0, false
}

// symbolTable holds the executable's data and bss variables, sorted by
// address, at their addresses in this process.
type symbolTable []symbol

func (t symbolTable) lookup(addr uint64) (symbol, bool) {
	i, _ := slices.BinarySearchFunc(t, addr, func(s symbol, a uint64) int {
		if s.addr > a {
			return 1
		}
		return -1
	})
	if i == 0 || !t[i-1].contains(addr) {
		return symbol{}, false
	}
	return t[i-1], true
}

// symbolAnchor is a variable whose address, set against its symbol's,
// tells how far the executable was moved when it was loaded (PIE).
var symbolAnchor [8]byte

// executableSymbols reads the symbol table of the running executable once.
// It is empty when the executable has none, as under "go run" and
// "go test", or when its format is neither ELF nor Mach-O.
var executableSymbols = sync.OnceValue(func() symbolTable {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	var t symbolTable
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		t = machoSymbols(exe)
	} else {
		t = elfSymbols(exe)
	}
	sortSymbols(t)
	anchor := reflect.TypeFor[symbol]().PkgPath() + ".symbolAnchor"
	here := uint64(uintptr(unsafe.Pointer(&symbolAnchor)))
	for _, s := range t {
		if s.name == anchor {
			for i := range t {
				t[i].addr += here - s.addr
			}
			break
		}
	}
	return t
})

// sortSymbols sorts a symbol table by address, then name.
func sortSymbols(t symbolTable) {
	slices.SortFunc(t, func(a, b symbol) int {
		return cmp.Or(cmp.Compare(a.addr, b.addr), strings.Compare(a.name, b.name))
	})
}

// sectionMarkers are the linker's symbols for the bounds of sections,
// which share their addresses with the first variables.
var sectionMarkers = map[string]bool{
	"runtime.data": true, "runtime.edata": true, "runtime.bss": true, "runtime.ebss": true,
	"runtime.noptrdata": true, "runtime.enoptrdata": true, "runtime.noptrbss": true, "runtime.enoptrbss": true,
	"runtime.end": true,
}

var dataSections = map[string]bool{
	".data": true, ".bss": true, ".noptrdata": true, ".noptrbss": true,
	"__data": true, "__bss": true, "__noptrdata": true, "__noptrbss": true,
}

func elfSymbols(exe string) symbolTable {
	f, err := elf.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	return elfFileSymbols(f)
}

// elfFileSymbols lists the global variables of the ELF file f.
func elfFileSymbols(f *elf.File) symbolTable {
	syms, err := f.Symbols() // elf.ErrNoSymbols when stripped
	if err != nil {
		return nil
	}
	var t symbolTable
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_OBJECT || int(s.Section) >= len(f.Sections) {
			continue
		}
		if dataSections[f.Sections[s.Section].Name] && s.Size > 0 && !sectionMarkers[s.Name] {
			t = append(t, symbol{addr: s.Value, size: s.Size, name: s.Name})
		}
	}
	return t
}

func machoSymbols(exe string) symbolTable {
	f, err := macho.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	if f.Symtab == nil {
		return nil
	}
	var t symbolTable
	for _, s := range f.Symtab.Syms {
		if s.Sect == 0 || int(s.Sect) > len(f.Sections) || !dataSections[f.Sections[s.Sect-1].Name] ||
			sectionMarkers[strings.TrimPrefix(s.Name, "_")] {
			continue
		}
		t = append(t, symbol{addr: s.Value, name: strings.TrimPrefix(s.Name, "_")})
	}
	// Mach-O symbols have no sizes: each runs to the next one.
	slices.SortFunc(t, func(a, b symbol) int { return cmp.Compare(a.addr, b.addr) })
	for i := range t {
		if i+1 < len(t) {
			t[i].size = t[i+1].addr - t[i].addr
		} else {
			t[i].size = 1
		}
	}
	return slices.DeleteFunc(t, func(s symbol) bool { return s.size == 0 })
}

// funcName returns the name of the function whose entry address is pc,
// or "" if pc is not the entry of a function.
func funcName(pc uint64) string {
	if pc == 0 {
		return ""
	}
	f := runtime.FuncForPC(uintptr(pc))
	if f == nil || uint64(f.Entry()) != pc {
		return ""
	}
	return f.Name()
}

// Malloc headers: a heap object with pointers whose allocation slot is
// larger than headerMin and smaller than headerMax bytes starts with a word
// holding the address of its type (runtime/mbitmap.go, Go 1.22 and
// later). Smaller objects keep their pointer bitmap in the span, larger
// ones in the span's type. A slot of exactly headerMax bytes may be either:
// an object of up to headerMax-8 bytes with a header, or a large object
// of a few bytes more without one.
const (
	headerMin = 512
	headerMax = 32 << 10
)

// typeAt returns the type whose descriptor is at address typ in this
// process's memory.
//
// typ must be the type word of a malloc header read from this process;
// such a word always points to a type descriptor that lives as long as the
// program, which is what makes reading it safe.
func typeAt(typ uint64) reflect.Type {
	var x any
	(*[2]uintptr)(unsafe.Pointer(&x))[0] = uintptr(typ)
	return reflect.TypeOf(x)
}
