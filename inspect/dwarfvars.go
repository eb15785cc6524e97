package inspect

import (
	"debug/dwarf"
	"encoding/binary"
	"strings"
	"sync"
)

// Stack frames' variables, from the executable's DWARF: which local
// variable of a function held a pointer word of its frame, at the
// frame's program counter, so that a path from a stack root starts at a
// named, typed variable.
//
// A Go function's variables are described by location lists (DWARF 5's
// .debug_loclists, or DWARF 4's .debug_loc): for ranges of program
// counters, where the variable is, piece by piece: in a register, or in
// the frame at an offset from the canonical frame address (the caller's
// stack pointer, the top of the frame as a heap dump records it).

// subprogram is where a function's DWARF entry is, and what reading its
// location lists needs from its compile unit.
type subprogram struct {
	off      dwarf.Offset
	lowpc    uint64 // the function's entry
	addrBase uint64 // the compile unit's base in .debug_addr (DWARF 5)
	cuLow    uint64 // the compile unit's base address (DWARF 4)
}

// localVar is a variable of a function: its name, type and location.
type localVar struct {
	name string
	typ  dwarf.Offset
	expr []byte // a single location, or
	list int64  // the offset of its location list, if expr is nil
}

// frameSections are the raw sections location lists are read from.
type frameSections struct {
	loclists, loc, addr []byte
	order               binary.ByteOrder
}

// frameVarTable caches each function's variables, read when a frame of
// the function is first asked about.
type frameVarTable struct {
	mu   sync.Mutex
	vars map[uint64][]localVar
}

// stackVar is a variable that holds a pointer word of a frame: its name
// and type, and the offset of the word within the variable.
type stackVar struct {
	name string
	typ  dwarf.Type
	off  uint64
}

// frameVar names the variable of the function entered at entry that holds
// the frame word at offset off (from the frame's lowest address) when the
// frame, of size bytes, is at program counter pc.
func (d *dwarfInfo) frameVar(entry, pc, size, off uint64) (stackVar, bool) {
	sp, ok := d.subprograms[entry]
	if !ok || off >= size {
		return stackVar{}, false
	}
	// The word's place from the canonical frame address, the top of the
	// frame.
	cfaOff := int64(off) - int64(size)
	vars := d.localVars(sp)
	for _, v := range vars {
		expr := v.expr
		if expr == nil {
			// A return address is just after its call: the call's
			// ranges may end there.
			if expr = d.locationAt(sp, v.list, pc); expr == nil && pc > 0 {
				expr = d.locationAt(sp, v.list, pc-1)
			}
		}
		if expr == nil {
			continue
		}
		t := d.typ(v.typ)
		if t == nil || t.Size() <= 0 {
			continue
		}
		// Go's location lists are not exact (a slot may be reused
		// before a range ends): a variable counts only where its type
		// has a pointer.
		at, found := pieceAt(expr, cfaOff, t.Size())
		if !found {
			continue
		}
		if whole, ok := d.wholeVar(vars, v.name); ok {
			// A part of a variable the compiler also describes whole,
			// which names it better.
			return whole, true
		}
		if pointerWord(t, at) && !strings.Contains(v.name, ".") {
			return stackVar{name: v.name, typ: t, off: at}, true
		}
	}
	return stackVar{}, false
}

// wholeVar is, for a part of a variable that the compiler describes on its
// own (Go 1.27 describes an interface variable x's words as "x.itab" and
// "x.data" too, and may describe a slice's or a string's pointer as
// "x.ptr"), the variable x, at the part's offset.
func (d *dwarfInfo) wholeVar(vars []localVar, name string) (stackVar, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return stackVar{}, false
	}
	base, part := name[:i], name[i+1:]
	var at uint64
	switch part {
	case "data":
		at = 8 // an interface's data word
	case "ptr":
		at = 0 // a slice's or a string's data pointer
	default:
		return stackVar{}, false
	}
	for _, w := range vars {
		if w.name != base {
			continue
		}
		if t := d.typ(w.typ); t != nil && pointerWord(t, at) {
			return stackVar{name: base, typ: t, off: at}, true
		}
	}
	return stackVar{}, false
}

// pointerWord says whether the word at offset off of a value of type t
// may hold a pointer: a pointer (maps, channels and functions are
// pointers too), the data word of a slice, a string or an interface.
func pointerWord(t dwarf.Type, off uint64) bool {
	inner, at := fieldAt(t, off)
	switch u := under(inner).(type) {
	case *dwarf.PtrType, *dwarf.FuncType:
		return at == 0
	case *dwarf.StructType:
		switch {
		case strings.HasPrefix(u.StructName, "[]"), u.StructName == "string":
			return at == 0
		case u.StructName == "runtime.iface", u.StructName == "runtime.eface":
			return at == 8
		}
		// An interface type's struct, named after the interface.
		if len(u.Field) == 2 && (u.Field[0].Name == "tab" || u.Field[0].Name == "_type") && u.Field[1].Name == "data" {
			return at == uint64(u.Field[1].ByteOffset)
		}
	case *dwarf.ArrayType:
		if u.Count > 0 && u.Type.Size() > 0 {
			return pointerWord(u.Type, at%uint64(u.Type.Size()))
		}
	}
	return false
}

// localVars reads the variables of the function sp, once.
func (d *dwarfInfo) localVars(sp subprogram) []localVar {
	d.frameVars.mu.Lock()
	defer d.frameVars.mu.Unlock()
	if vs, ok := d.frameVars.vars[sp.lowpc]; ok {
		return vs
	}
	vs := readLocalVars(d.data, sp.off)
	if d.frameVars.vars == nil {
		d.frameVars.vars = map[uint64][]localVar{}
	}
	d.frameVars.vars[sp.lowpc] = vs
	return vs
}

// readLocalVars lists the variables and parameters of the subprogram at
// off, those of its lexical blocks included; those of the functions
// inlined into it are left out.
func readLocalVars(data *dwarf.Data, off dwarf.Offset) (vs []localVar) {
	defer func() {
		if recover() != nil {
			vs = nil
		}
	}()
	r := data.Reader()
	r.Seek(off)
	if e, err := r.Next(); err != nil || e == nil || e.Tag != dwarf.TagSubprogram || !e.Children {
		return nil
	}
	depth := 1
	for depth > 0 {
		e, err := r.Next()
		if err != nil || e == nil {
			return vs
		}
		if e.Tag == 0 {
			depth--
			continue
		}
		if e.Tag == dwarf.TagInlinedSubroutine {
			r.SkipChildren()
			continue
		}
		if e.Children {
			depth++
		}
		if e.Tag != dwarf.TagVariable && e.Tag != dwarf.TagFormalParameter {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		typ, _ := e.Val(dwarf.AttrType).(dwarf.Offset)
		if name == "" || typ == 0 {
			continue
		}
		v := localVar{name: name, typ: typ}
		f := e.AttrField(dwarf.AttrLocation)
		switch {
		case f == nil:
			continue
		case f.Class == dwarf.ClassExprLoc || f.Class == dwarf.ClassBlock:
			v.expr, _ = f.Val.([]byte)
			if len(v.expr) == 0 {
				continue
			}
		case f.Class == dwarf.ClassLocListPtr || f.Class == dwarf.ClassLocList:
			n, ok := f.Val.(int64)
			if !ok {
				continue
			}
			v.list = n
		default:
			continue
		}
		vs = append(vs, v)
	}
	return vs
}

// DWARF's location list entries and expression operations that Go's
// compiler writes.
const (
	lleEndOfList     = 0x00
	lleBaseAddressx  = 0x01
	lleStartxEndx    = 0x02
	lleStartxLength  = 0x03
	lleOffsetPair    = 0x04
	lleDefault       = 0x05
	lleBaseAddress   = 0x06
	lleStartEnd      = 0x07
	lleStartLength   = 0x08
	opAddr           = 0x03
	opReg0           = 0x50
	opReg31          = 0x6f
	opRegx           = 0x90
	opFbreg          = 0x91
	opPiece          = 0x93
	opCallFrameCFA   = 0x9c
	maxLocListRanges = 1 << 16
)

// locationAt is the location expression of the list at off that applies
// at pc, or nil.
func (d *dwarfInfo) locationAt(sp subprogram, off int64, pc uint64) []byte {
	if off < 0 {
		return nil
	}
	if d.sections.loclists != nil {
		return d.locationAt5(sp, uint64(off), pc)
	}
	return d.locationAt4(sp, uint64(off), pc)
}

// locationAt5 reads a DWARF 5 location list.
func (d *dwarfInfo) locationAt5(sp subprogram, off, pc uint64) []byte {
	b := d.sections.loclists
	if off >= uint64(len(b)) {
		return nil
	}
	r := byteReader{b: b[off:], order: d.sections.order}
	base := sp.cuLow
	expr := func() []byte { n := r.uleb(); return r.bytes(n) }
	for range maxLocListRanges {
		kind := r.byte()
		if r.bad {
			return nil
		}
		switch kind {
		case lleEndOfList:
			return nil
		case lleBaseAddressx:
			base = d.addrx(sp, r.uleb())
		case lleStartxEndx:
			lo, hi := d.addrx(sp, r.uleb()), d.addrx(sp, r.uleb())
			if e := expr(); lo <= pc && pc < hi {
				return e
			}
		case lleStartxLength:
			lo := d.addrx(sp, r.uleb())
			hi := lo + r.uleb()
			if e := expr(); lo <= pc && pc < hi {
				return e
			}
		case lleOffsetPair:
			lo, hi := base+r.uleb(), base+r.uleb()
			if e := expr(); lo <= pc && pc < hi {
				return e
			}
		case lleDefault:
			return expr()
		case lleBaseAddress:
			base = r.addr()
		case lleStartEnd:
			lo, hi := r.addr(), r.addr()
			if e := expr(); lo <= pc && pc < hi {
				return e
			}
		case lleStartLength:
			lo := r.addr()
			hi := lo + r.uleb()
			if e := expr(); lo <= pc && pc < hi {
				return e
			}
		default:
			return nil
		}
		if r.bad {
			return nil
		}
	}
	return nil
}

// locationAt4 reads a DWARF 4 location list: pairs of addresses relative
// to the compile unit's base, each with a 2-byte length and an expression.
func (d *dwarfInfo) locationAt4(sp subprogram, off, pc uint64) []byte {
	b := d.sections.loc
	if off >= uint64(len(b)) {
		return nil
	}
	r := byteReader{b: b[off:], order: d.sections.order}
	base := sp.cuLow
	for range maxLocListRanges {
		lo, hi := r.addr(), r.addr()
		if r.bad || lo == 0 && hi == 0 {
			return nil
		}
		if lo == ^uint64(0) { // a base address selection
			base = hi
			continue
		}
		n := uint64(r.u16())
		e := r.bytes(n)
		if r.bad {
			return nil
		}
		if base+lo <= pc && pc < base+hi {
			return e
		}
	}
	return nil
}

// addrx is entry i of the compile unit's table in .debug_addr.
func (d *dwarfInfo) addrx(sp subprogram, i uint64) uint64 {
	at := sp.addrBase + 8*i
	if i > uint64(len(d.sections.addr)) || at+8 > uint64(len(d.sections.addr)) {
		return 0
	}
	return d.sections.order.Uint64(d.sections.addr[at:])
}

// pieceAt says whether the location expr of a variable of size bytes puts
// a piece of it in the frame at cfaOff bytes from the canonical frame
// address, and at which offset within the variable.
func pieceAt(expr []byte, cfaOff, size int64) (uint64, bool) {
	r := byteReader{b: expr}
	varOff := uint64(0)
	var stackAt int64
	onStack := false
	for len(r.b) > 0 && !r.bad {
		switch op := r.byte(); {
		case op == opCallFrameCFA:
			stackAt, onStack = 0, true
		case op == opFbreg: // Go's frame base is the canonical frame address
			stackAt, onStack = r.sleb(), true
		case op >= opReg0 && op <= opReg31:
			onStack = false
		case op == opRegx:
			r.uleb()
			onStack = false
		case op == opPiece:
			size := r.uleb()
			if onStack && stackAt <= cfaOff && cfaOff < stackAt+int64(size) {
				return varOff + uint64(cfaOff-stackAt), true
			}
			varOff += size
			onStack = false
		default:
			return 0, false // an operation Go does not write for locals
		}
	}
	if r.bad {
		return 0, false
	}
	// A location of one piece: the whole variable is there.
	if onStack && varOff == 0 && stackAt <= cfaOff && cfaOff < stackAt+size {
		return uint64(cfaOff - stackAt), true
	}
	return 0, false
}

// byteReader reads DWARF's encodings from b; a read past the end sets bad.
type byteReader struct {
	b     []byte
	order binary.ByteOrder
	bad   bool
}

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) uleb() uint64 {
	var x uint64
	for shift := uint(0); ; shift += 7 {
		c := r.byte()
		if r.bad || shift >= 64 {
			r.bad = true
			return 0
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x
		}
	}
}

func (r *byteReader) sleb() int64 {
	var x int64
	var shift uint
	for {
		c := r.byte()
		if r.bad || shift >= 64 {
			r.bad = true
			return 0
		}
		x |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				x |= -1 << shift
			}
			return x
		}
	}
}

func (r *byteReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) addr() uint64 {
	b := r.bytes(8)
	if r.bad {
		return 0
	}
	return r.order.Uint64(b)
}

func (r *byteReader) u16() uint16 {
	b := r.bytes(2)
	if r.bad {
		return 0
	}
	return r.order.Uint16(b)
}
