package inspect

import (
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
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
	data   *dwarf.Data
	rtype  map[uint64]dwarf.Offset
	vars   []dwarfVar              // sorted by address
	groups map[string]dwarf.Offset // map group types, by name

	mu    sync.Mutex
	types map[dwarf.Offset]dwarf.Type
}

type dwarfVar struct {
	addr, size uint64
	name       string
	typ        dwarf.Offset
}

// loadDWARF reads exe's DWARF, or returns nil when it has none (built with
// -ldflags=-w, or by go run).
func loadDWARF(exe string) *dwarfInfo {
	f, err := elf.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := f.DWARF()
	if err != nil {
		return nil
	}
	info := &dwarfInfo{data: data, rtype: map[uint64]dwarf.Offset{}, groups: map[string]dwarf.Offset{}, types: map[dwarf.Offset]dwarf.Type{}}
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
	r := data.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if a, ok := e.Val(attrGoRuntimeType).(uint64); ok && a != 0 && base != 0 {
			info.rtype[base+a] = e.Offset
		}
		if e.Tag == dwarf.TagStructType {
			if name, _ := e.Val(dwarf.AttrName).(string); strings.HasPrefix(name, mapGroupPrefix) {
				info.groups[name] = e.Offset
			}
		}
		if e.Tag != dwarf.TagVariable {
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

// typ resolves a type entry, remembering it.
func (d *dwarfInfo) typ(off dwarf.Offset) dwarf.Type {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.types[off]; ok {
		return t
	}
	t, err := d.data.Type(off)
	if err != nil {
		t = nil
	}
	d.types[off] = t
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
	return structWord.ReplaceAllString(t.String(), "$1")
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

// mapGroupPrefix begins the DWARF name of a map's group type: the group of
// map[K]V is "noalg.map.group[K]V".
const mapGroupPrefix = "noalg.map.group["

// mapGroup is the group type of the map type named mapName ("map[K]V").
func (d *dwarfInfo) mapGroup(mapName string) dwarf.Type {
	if off, ok := d.groups["noalg.map.group"+strings.TrimPrefix(mapName, "map")]; ok {
		return d.typ(off)
	}
	return nil
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
