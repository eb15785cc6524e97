package inspect

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// FuzzExecutable reads an executable's DWARF and symbols as `weakscope
// heap --exe` does, from any bytes: what cannot be read names nothing and
// never crashes, and the lookups on what was read stay within bounds. The
// seeds are a Go program's executable, cut short and with bytes of its
// DWARF changed.
func FuzzExecutable(f *testing.F) {
	exe := buildSmallProgram(f)
	data, err := os.ReadFile(exe)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, n := range []int{0, 4, 64, 1 << 10, len(data) / 2, len(data) - 1} {
		f.Add(data[:n])
	}
	if ef, err := elf.NewFile(bytes.NewReader(data)); err == nil {
		for _, name := range []string{".debug_info", ".debug_abbrev", ".symtab"} {
			if s := ef.Section(name); s != nil && s.Type != elf.SHT_NOBITS {
				// Go compresses its DWARF sections; a changed byte in
				// one breaks the compressed stream or what it holds.
				for _, at := range []uint64{0, 12, s.Size / 3, s.Size / 2} {
					b := bytes.Clone(data)
					if s.Offset+at < uint64(len(b)) {
						b[s.Offset+at] ^= 0x5a
						f.Add(b)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := exeNamesFrom(bytes.NewReader(b)); err == nil {
			n.fn(0x401000)
			n.global(0x500000)
		}
		d := readDWARF(bytes.NewReader(b))
		if d == nil {
			return
		}
		// Every type the executable describes, walked as a path would.
		for addr := range d.rtype {
			exercise(t, d, d.runtimeType(addr))
		}
		for _, v := range d.vars {
			if got, ok := d.variable(v.addr); !ok || got.addr > v.addr {
				t.Fatalf("variable(%#x) = %+v, %v", v.addr, got, ok)
			}
			exercise(t, d, d.typ(v.typ))
		}
		for pc := range d.closures {
			exercise(t, d, d.closure(pc, "f"))
		}
		for name := range d.structs {
			exercise(t, d, d.trieNode(d.structNamed(name), 1<<20))
		}
		// Frames of a few functions, at a few of their PCs and words.
		n := 0
		for entry := range d.subprograms {
			if n++; n > 64 {
				break
			}
			for _, pc := range []uint64{entry, entry + 0x20, entry + 0x100} {
				for off := uint64(0); off < 512; off += 8 {
					if v, ok := d.frameVar(entry, pc, 512, off); ok && (v.typ == nil || v.name == "") {
						t.Fatalf("frameVar(%#x, %#x, 512, %d) = %+v", entry, pc, off, v)
					}
				}
			}
		}
	})
}

// exercise asks for what a pointer at each word of a value of type typ
// leads to.
func exercise(t *testing.T, d *dwarfInfo, typ dwarf.Type) {
	if typ == nil {
		return
	}
	goName(typ)
	size := typ.Size()
	if size < 0 || size > 1<<12 {
		size = 1 << 12
	}
	for off := int64(0); off < size; off += 8 {
		next, _ := nextType(d, typ, uint64(off), 64)
		if next != nil {
			goName(next)
		}
		fieldAt(typ, uint64(off))
	}
}

// buildSmallProgram builds testdata/dumper, a Go program of a known shape.
func buildSmallProgram(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command to build a program with")
	}
	exe := filepath.Join(tb.TempDir(), "dumper")
	if out, err := exec.Command(goTool, "build", "-o", exe, "./testdata/dumper").CombinedOutput(); err != nil {
		tb.Fatalf("building dumper: %v\n%s", err, out)
	}
	return exe
}
