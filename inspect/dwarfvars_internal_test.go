package inspect

import (
	"bytes"
	"debug/dwarf"
	"encoding/binary"
	"testing"
)

// Location expressions as Go's compiler writes them: where a variable's
// pieces are, and which piece holds a word of the frame.
func TestPieceAt(t *testing.T) {
	fbreg := func(off int64) []byte {
		b := []byte{opFbreg}
		// SLEB128, as DWARF writes it.
		for {
			c := byte(off & 0x7f)
			off >>= 7
			if off == 0 && c&0x40 == 0 || off == -1 && c&0x40 != 0 {
				return append(b, c)
			}
			b = append(b, c|0x80)
		}
	}
	piece := func(n byte) []byte { return []byte{opPiece, n} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name   string
		expr   []byte
		cfaOff int64
		size   int64
		at     uint64
		ok     bool
	}{
		{"whole, at its start", fbreg(-0x368), -0x368, 8, 0, true},
		{"whole, past its end", fbreg(-0x368), -0x360, 8, 0, false},
		{"whole, before it", fbreg(-0x368), -0x370, 8, 0, false},
		{"whole, second word", fbreg(-0x20), -0x18, 16, 8, true},
		{"at the frame address", []byte{opCallFrameCFA}, 0, 8, 0, true},
		{"in a register", []byte{opReg0 + 3}, -8, 8, 0, false},
		// An interface in two pieces: its itab in a register, its data
		// word on the stack.
		{"second piece on the stack", cat([]byte{opReg0}, piece(8), fbreg(-0x368), piece(8)), -0x368, 16, 8, true},
		{"first piece on the stack", cat(fbreg(-0x510), piece(8), fbreg(-0x368), piece(8)), -0x510, 16, 0, true},
		{"neither piece", cat(fbreg(-0x510), piece(8), fbreg(-0x368), piece(8)), -0x400, 16, 0, false},
		{"a piece absent", cat(piece(8), fbreg(-0x40), piece(8)), -0x40, 16, 8, true},
		{"an operation Go does not write", []byte{0x12 /* DW_OP_dup */}, 0, 8, 0, false},
		{"truncated", []byte{opFbreg}, 0, 8, 0, false},
	} {
		at, ok := pieceAt(tc.expr, tc.cfaOff, tc.size)
		if ok != tc.ok || ok && at != tc.at {
			t.Errorf("%s: pieceAt(%x, %d) = %d, %v; want %d, %v", tc.name, tc.expr, tc.cfaOff, at, ok, tc.at, tc.ok)
		}
	}
}

// Location lists in both of DWARF's encodings pick the expression whose
// range holds the PC.
func TestLocationLists(t *testing.T) {
	le := binary.LittleEndian
	a, b := []byte{opFbreg, 0x60}, []byte{opFbreg, 0x50}
	// DWARF 5: a base from .debug_addr, then two offset pairs.
	addr := le.AppendUint64(le.AppendUint64(nil, 0xdead), 0x401000)
	var l5 []byte
	l5 = append(l5, lleBaseAddressx, 1)
	l5 = append(l5, lleOffsetPair, 0x10, 0x20, byte(len(a)))
	l5 = append(l5, a...)
	l5 = append(l5, lleOffsetPair, 0x20, 0x40, byte(len(b)))
	l5 = append(l5, b...)
	l5 = append(l5, lleEndOfList)
	d5 := &dwarfInfo{sections: frameSections{loclists: l5, addr: addr, order: le}}
	// DWARF 4: address pairs relative to the unit's base.
	var l4 []byte
	l4 = le.AppendUint64(le.AppendUint64(l4, 0x10), 0x20)
	l4 = le.AppendUint16(l4, uint16(len(a)))
	l4 = append(l4, a...)
	l4 = le.AppendUint64(le.AppendUint64(l4, 0x20), 0x40)
	l4 = le.AppendUint16(l4, uint16(len(b)))
	l4 = append(l4, b...)
	l4 = le.AppendUint64(le.AppendUint64(l4, 0), 0)
	d4 := &dwarfInfo{sections: frameSections{loc: l4, order: le}}
	sp := subprogram{cuLow: 0x401000}
	for _, d := range []*dwarfInfo{d5, d4} {
		for _, tc := range []struct {
			pc   uint64
			want []byte
		}{
			{0x40100f, nil}, {0x401010, a}, {0x40101f, a}, {0x401020, b}, {0x40103f, b}, {0x401040, nil},
		} {
			if got := d.locationAt(sp, 0, tc.pc); !bytes.Equal(got, tc.want) {
				t.Errorf("DWARF %d: location at %#x = %x, want %x", map[bool]int{true: 5, false: 4}[d == d5], tc.pc, got, tc.want)
			}
		}
		// Offsets past the section, and cut lists, find nothing.
		if got := d.locationAt(sp, 1<<20, 0x401010); got != nil {
			t.Errorf("a list past the section: %x", got)
		}
	}
	d5.sections.loclists = l5[:7]
	if got := d5.locationAt(sp, 0, 0x401010); got != nil {
		t.Errorf("a cut list: %x", got)
	}
}

// A map's header is named by the map type that holds it or by its own
// DWARF name, "map<K,V>", whose K and V may hold commas of their own.
func TestMapTypeName(t *testing.T) {
	for in, want := range map[string]string{
		"map<string,*main.session>":                 "map[string]*main.session",
		"map<uintptr,cache.wkEntry[a.object,*a.b]>": "map[uintptr]cache.wkEntry[a.object,*a.b]",
		"map<main.pair[int,string],[]int>":          "map[main.pair[int,string]][]int",
		"map<struct { a, b int },int>":              "map[struct { a, b int }]int",
		"main.session":                              "",
		"map<nocomma>":                              "",
	} {
		if got := mapTypeName(&dwarf.StructType{StructName: in}); got != want {
			t.Errorf("mapTypeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mapTypeName(&named{Type: &dwarf.StructType{StructName: "x"}, name: "map[int]int"}); got != "map[int]int" {
		t.Errorf("a named header: %q", got)
	}
}
