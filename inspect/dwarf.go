package inspect

import (
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The attribute Go's linker gives a type's DWARF entry: where the type's
// runtime descriptor is (the word a malloc header holds), as an offset
// from the runtime.types symbol.
const attrGoRuntimeType dwarf.Attr = 0x2904

// dwarfInfo is what an executable's DWARF says about types and globals:
// the type of each runtime type descriptor, and the address, size and type
// of each global variable.
type dwarfInfo struct {
	data    *dwarf.Data
	rtype   map[uint64]dwarf.Offset
	vars    []dwarfVar              // sorted by address
	structs map[string]dwarf.Offset // struct types, by name
	// closures lists the variables each closure captured, by the entry
	// address of the closure's function.
	closures map[uint64][]capturedVar
	// subprograms indexes functions by their entry, for their frames'
	// variables (see frameVar).
	subprograms map[uint64]subprogram
	sections    frameSections
	frameVars   frameVarTable

	mu    sync.Mutex
	types map[dwarf.Offset]dwarf.Type
}

type dwarfVar struct {
	addr, size uint64
	name       string
	typ        dwarf.Offset
}

// capturedVar is a variable a closure captured: its name, its type (a
// pointer to the variable where it was captured by reference) and its
// offset in the closure's object.
type capturedVar struct {
	name string
	typ  dwarf.Offset
	off  int64
}

// The attribute Go's compiler gives a variable a closure captured: its
// offset in the closure's object (Go 1.23 and later).
const attrGoClosureOffset dwarf.Attr = 0x2907

// loadDWARF reads exe's DWARF, or returns nil when it has none (built with
// -ldflags=-w, or by go run) or cannot be read.
func loadDWARF(exe string) *dwarfInfo {
	f, err := os.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	return readDWARF(f)
}

// readDWARF reads the DWARF of the ELF executable r, or returns nil. A
// malformed executable is not an error: it has nothing to say.
func readDWARF(r io.ReaderAt) (info *dwarfInfo) {
	defer func() {
		// debug/dwarf and debug/elf do not promise to survive every
		// malformed input, and a type's name is not worth a crash.
		if recover() != nil {
			info = nil
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil
	}
	data, err := f.DWARF()
	if err != nil {
		return nil
	}
	info = &dwarfInfo{data: data, rtype: map[uint64]dwarf.Offset{}, structs: map[string]dwarf.Offset{},
		closures: map[uint64][]capturedVar{}, subprograms: map[uint64]subprogram{}, types: map[dwarf.Offset]dwarf.Type{}}
	if f.Class == elf.ELFCLASS64 {
		info.sections = frameSections{
			loclists: sectionData(f, ".debug_loclists"),
			loc:      sectionData(f, ".debug_loc"),
			addr:     sectionData(f, ".debug_addr"),
			order:    f.ByteOrder,
		}
	}
	// The attribute holds the descriptor's offset from runtime.types, the
	// start of the type descriptors.
	var base uint64
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.types" {
				base = s.Value
				break
			}
		}
	}
	// The entries nest: tags holds the open ones' tags, and fn the entry
	// address of the innermost subprogram, for its closure's variables.
	var tags []dwarf.Tag
	var fns []uint64
	var cu subprogram // the compile unit's bases
	r2 := data.Reader()
	for {
		e, err := r2.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == 0 { // the end of an entry's children
			if n := len(tags); n > 0 {
				if tags[n-1] == dwarf.TagSubprogram {
					fns = fns[:len(fns)-1]
				}
				tags = tags[:n-1]
			}
			continue
		}
		if a, ok := e.Val(attrGoRuntimeType).(uint64); ok && a != 0 && base != 0 {
			info.rtype[base+a] = e.Offset
		}
		if e.Tag == dwarf.TagStructType {
			if name, _ := e.Val(dwarf.AttrName).(string); name != "" {
				info.structs[name] = e.Offset
				// The compiler may describe a generic type only by its
				// shape ("T[go.shape.int]"), which is T[int]'s layout.
				if plain := strings.ReplaceAll(name, "go.shape.", ""); plain != name {
					if _, ok := info.structs[plain]; !ok {
						info.structs[plain] = e.Offset
					}
				}
			}
		}
		if e.Tag == dwarf.TagVariable && len(tags) > 0 && tags[len(tags)-1] == dwarf.TagSubprogram {
			// A variable of the closure whose function this is.
			if off, ok := e.Val(attrGoClosureOffset).(int64); ok && off > 0 && fns[len(fns)-1] != 0 {
				typ, _ := e.Val(dwarf.AttrType).(dwarf.Offset)
				name, _ := e.Val(dwarf.AttrName).(string)
				pc := fns[len(fns)-1]
				info.closures[pc] = append(info.closures[pc], capturedVar{name: strings.TrimPrefix(name, "&"), typ: typ, off: off})
			}
		}
		if e.Tag == dwarf.TagCompileUnit {
			cu = subprogram{}
			if b, ok := e.Val(dwarf.AttrAddrBase).(int64); ok && b > 0 {
				cu.addrBase = uint64(b)
			}
			cu.cuLow, _ = e.Val(dwarf.AttrLowpc).(uint64)
		}
		if e.Children {
			tags = append(tags, e.Tag)
			if e.Tag == dwarf.TagSubprogram {
				pc, _ := e.Val(dwarf.AttrLowpc).(uint64)
				fns = append(fns, pc)
				if pc != 0 && len(tags) == 2 { // a function of the unit
					info.subprograms[pc] = subprogram{off: e.Offset, lowpc: pc, addrBase: cu.addrBase, cuLow: cu.cuLow}
				}
			}
		}
		if e.Tag != dwarf.TagVariable || len(tags) > 0 && tags[len(tags)-1] != dwarf.TagCompileUnit {
			continue
		}
		loc, _ := e.Val(dwarf.AttrLocation).([]byte)
		typ, _ := e.Val(dwarf.AttrType).(dwarf.Offset)
		name, _ := e.Val(dwarf.AttrName).(string)
		// A global's location is DW_OP_addr and its address.
		if len(loc) == 9 && loc[0] == 0x03 && typ != 0 {
			addr := binary.LittleEndian.Uint64(loc[1:])
			if f.ByteOrder == binary.BigEndian {
				addr = binary.BigEndian.Uint64(loc[1:])
			}
			v := dwarfVar{addr: addr, name: name, typ: typ}
			if t := info.typ(typ); t != nil && t.Size() > 0 {
				v.size = uint64(t.Size())
			}
			info.vars = append(info.vars, v)
		}
	}
	slices.SortFunc(info.vars, func(a, b dwarfVar) int { return cmp.Compare(a.addr, b.addr) })
	return info
}

// sectionData is the named section's contents, uncompressed, or nil.
func sectionData(f *elf.File, name string) []byte {
	s := f.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil
	}
	b, err := s.Data()
	if err != nil {
		return nil
	}
	return b
}

// typ resolves a type entry, remembering it; nil when the entry is not a
// type, or malformed.
func (d *dwarfInfo) typ(off dwarf.Offset) dwarf.Type {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.types[off]; ok {
		return t
	}
	t := readType(d.data, off)
	d.types[off] = t
	return t
}

// readType is the type at off, or nil.
func readType(data *dwarf.Data, off dwarf.Offset) (t dwarf.Type) {
	defer func() {
		// debug/dwarf does not promise to survive every malformed entry.
		if recover() != nil {
			t = nil
		}
	}()
	t, err := data.Type(off)
	if err != nil {
		return nil
	}
	return t
}

// runtimeType is the type whose runtime descriptor is at addr.
func (d *dwarfInfo) runtimeType(addr uint64) dwarf.Type {
	if off, ok := d.rtype[addr]; ok {
		return d.typ(off)
	}
	return nil
}

// variable is the global variable holding addr.
func (d *dwarfInfo) variable(addr uint64) (dwarfVar, bool) {
	i, _ := slices.BinarySearchFunc(d.vars, addr, func(v dwarfVar, a uint64) int {
		if v.addr > a {
			return 1
		}
		return -1
	})
	if i == 0 {
		return dwarfVar{}, false
	}
	v := d.vars[i-1]
	if addr-v.addr < max(v.size, 1) {
		return v, true
	}
	return dwarfVar{}, false
}

// goName is a DWARF type's name as Go writes it. Go's DWARF names types in
// Go syntax already ("main.session", "*main.session", "[]uint8",
// "map[string]*main.session").
func goName(t dwarf.Type) string {
	switch u := t.(type) {
	case nil:
		return ""
	case *dwarf.StructType:
		return u.StructName
	}
	// debug/dwarf writes a named struct as "struct NAME", inside pointer
	// and other types too; Go writes NAME.
	name := t.String()
	if !strings.Contains(name, "struct ") {
		return name // most names, and the regexp is slow
	}
	return structWord.ReplaceAllString(name, "$1")
}

// structWord matches debug/dwarf's "struct " before a struct's name (not
// before the braces of an anonymous one).
var structWord = regexp.MustCompile(`(?:^|\b)struct ([^{ ])`)

// under strips typedefs, which Go's DWARF uses for named types.
func under(t dwarf.Type) dwarf.Type {
	for {
		switch u := t.(type) {
		case *dwarf.TypedefType:
			t = u.Type
		case *named:
			t = u.Type
		default:
			return t
		}
	}
}

// pointee says what a pointer word at byte offset off within a value of
// type t points to: the type of the object it leads to (nil when the word
// is not a pointer of a known type, such as an unsafe.Pointer) and the
// field path to the word, such as ".m" or ".items[3].next".
func pointee(t dwarf.Type, off uint64) (dwarf.Type, string) {
	field := ""
	for depth := 0; t != nil && depth < 64; depth++ {
		switch u := under(t).(type) {
		case *dwarf.PtrType:
			if off != 0 {
				return nil, field
			}
			if _, opaque := under(u.Type).(*dwarf.VoidType); opaque {
				return nil, field
			}
			return u.Type, field
		case *dwarf.StructType:
			name := u.StructName
			// A slice header: its data pointer leads to the elements.
			if strings.HasPrefix(name, "[]") && off == 0 && len(u.Field) > 0 {
				if p, ok := under(u.Field[0].Type).(*dwarf.PtrType); ok {
					return &elements{elem: p.Type, slice: name}, field
				}
			}
			if name == "string" && off == 0 {
				return nil, field + " (string data)"
			}
			// An atomic.Pointer[T] holds an unsafe.Pointer; its
			// zero-length array field of *T says what it points to.
			if strings.HasPrefix(name, "sync/atomic.Pointer[") {
				if f := fieldCovering(u, off); f != nil && f.Name == "v" && off == uint64(f.ByteOffset) {
					if elem := atomicElem(u); elem != nil {
						return elem, field + ".v"
					}
				}
			}
			next := fieldCovering(u, off)
			if next == nil {
				return nil, field
			}
			field += "." + next.Name
			off -= uint64(next.ByteOffset)
			t = next.Type
		case *dwarf.ArrayType:
			es := u.Type.Size()
			if es <= 0 {
				return nil, field
			}
			field += "[" + itoa(off/uint64(es)) + "]"
			off %= uint64(es)
			t = u.Type
		case *elements:
			es := u.elem.Size()
			if es <= 0 {
				return nil, field
			}
			field += "[" + itoa(off/uint64(es)) + "]"
			off %= uint64(es)
			t = u.elem
		default:
			return nil, field
		}
	}
	return nil, field
}

// atomicElem is T for an atomic.Pointer[T], from its field _ [0]*T.
func atomicElem(s *dwarf.StructType) dwarf.Type {
	for _, f := range s.Field {
		if a, ok := under(f.Type).(*dwarf.ArrayType); ok && a.Count == 0 {
			if p, ok := under(a.Type).(*dwarf.PtrType); ok {
				return p.Type
			}
		}
	}
	return nil
}

// trieNodePrefix begins the name of the node type of the hash-trie map
// behind sync.Map (Go 1.24 and later): a node is the start of either an
// entry or an indirect node, told apart by a flag the dump does not keep.
const trieNodePrefix = "internal/sync.node["

// isTrieNode says whether t is a sync.Map trie node type, cheaply: it is
// asked of every step.
func isTrieNode(t dwarf.Type) bool {
	switch u := t.(type) {
	case *dwarf.TypedefType:
		return strings.HasPrefix(u.Name, trieNodePrefix)
	case *dwarf.StructType:
		return strings.HasPrefix(u.StructName, trieNodePrefix)
	}
	return false
}

// trieNode is the type of a sync.Map trie node of size bytes, whose node
// type is named node: the larger of its entry and indirect types that
// fits, or node when neither is known.
func (d *dwarfInfo) trieNode(node dwarf.Type, size uint64) dwarf.Type {
	args, ok := strings.CutPrefix(goName(node), trieNodePrefix)
	if !ok {
		return node
	}
	best := node
	for _, kind := range []string{"internal/sync.entry[", "internal/sync.indirect["} {
		t := d.structNamed(kind + args)
		if t != nil && t.Size() > best.Size() && uint64(t.Size()) <= size {
			// Named as Go code would, not by its shape.
			best = &named{Type: t, name: kind + args}
		}
	}
	return best
}

// elements is the backing array of a slice, whose length the type does
// not say: a heap object holding elements of elem.
type elements struct {
	elem  dwarf.Type
	slice string
}

func (e *elements) Common() *dwarf.CommonType { return &dwarf.CommonType{ByteSize: -1} }
func (e *elements) Size() int64               { return -1 }
func (e *elements) String() string            { return "[]" + goName(e.elem) + " elements" }

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// fieldAt is the innermost field type of t that holds byte offset off, and
// that offset within it.
func fieldAt(t dwarf.Type, off uint64) (dwarf.Type, uint64) {
	for depth := 0; t != nil && depth < 64; depth++ {
		s, ok := under(t).(*dwarf.StructType)
		if !ok || strings.HasPrefix(s.StructName, "[]") || s.StructName == "string" {
			return t, off
		}
		next := fieldCovering(s, off)
		if next == nil {
			return t, off
		}
		off -= uint64(next.ByteOffset)
		t = next.Type
	}
	return t, off
}

// named is a type shown under another name: a map's header as the map.
type named struct {
	dwarf.Type
	name string
}

func (n *named) String() string { return n.name }

// mapGroup is the group type of the map type named mapName ("map[K]V"),
// which Go's DWARF names "noalg.map.group[K]V".
func (d *dwarfInfo) mapGroup(mapName string) dwarf.Type {
	return d.structNamed("noalg.map.group" + strings.TrimPrefix(mapName, "map"))
}

// structNamed is the struct type of that name, or nil.
func (d *dwarfInfo) structNamed(name string) dwarf.Type {
	if off, ok := d.structs[name]; ok {
		return d.typ(off)
	}
	return nil
}

// closure is the layout of the closure object of the function whose
// entry is pc, as a struct of its captured variables named after the
// function ("func main.main.func1"), or nil when the closure captured
// nothing the DWARF describes.
func (d *dwarfInfo) closure(pc uint64, name string) dwarf.Type {
	vars := d.closures[pc]
	if len(vars) == 0 {
		return nil
	}
	st := &dwarf.StructType{StructName: "func " + name, Kind: "struct"}
	size := int64(0)
	for _, v := range vars {
		t := d.typ(v.typ)
		if t == nil || t.Size() < 0 {
			continue
		}
		st.Field = append(st.Field, &dwarf.StructField{Name: v.name, Type: t, ByteOffset: v.off})
		size = max(size, v.off+t.Size())
	}
	slices.SortFunc(st.Field, func(a, b *dwarf.StructField) int { return cmp.Compare(a.ByteOffset, b.ByteOffset) })
	st.ByteSize = size
	return st
}

// fieldCovering is the last field of s whose bytes include offset off (a
// zero-sized field shares its offset with the next one), or nil.
func fieldCovering(s *dwarf.StructType, off uint64) *dwarf.StructField {
	var found *dwarf.StructField
	for _, f := range s.Field {
		if uint64(f.ByteOffset) <= off && (f.Type.Size() < 0 || off < uint64(f.ByteOffset)+uint64(f.Type.Size())) {
			found = f
		}
	}
	return found
}
