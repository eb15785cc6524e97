package scenario

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"weak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

// maxWitnesses is how many of its released objects a variant follows, so
// that the runner can show what still holds them.
const maxWitnesses = 3

// Witness is an object a subject released, held weakly, so that the runner
// can ask after the final settle whether it is still alive and, if it is,
// what keeps it so (see [Options.Why]). Make one with [Watch]; a Witness
// written as a literal watches nothing.
type Witness struct {
	// Type is the object's Go type, such as "*scenario.object".
	Type string
	// Note, if set, follows the type on the path: what the subject knows
	// about where the object lives, such as a block it shares.
	Note  string
	value func() any // the object, or nil once it has been collected
}

// addr is the object's address, or 0 once it has been collected (or for a
// Witness not made by Watch).
func (w Witness) addr() uintptr {
	if w.value == nil {
		return 0
	}
	if v := reflect.ValueOf(w.value()); v.Kind() == reflect.Pointer {
		return v.Pointer()
	}
	return 0
}

// Watch returns a witness for the object p points to. It holds the object
// only weakly.
func Watch[T any](p *T) Witness {
	wp := weak.Make(p)
	return Witness{
		Type: typeName(p),
		value: func() any {
			if p := wp.Value(); p != nil {
				return p
			}
			return nil
		},
	}
}

// Witnesser is implemented by subjects that watch a few of the objects
// they release (up to three), for retention paths.
type Witnesser interface {
	Witnesses() []Witness
}

// Labeler is implemented by subjects that can name objects which their
// witnesses' retention paths pass through: a heap dump records the types
// of large objects only, so the runner labels the subject itself and asks
// the subject for the rest. Keys are object addresses.
type Labeler interface {
	Labels() map[uintptr]string
}

// typeName is x's type without this module's path, which every type of
// the catalogue would otherwise repeat.
func typeName(x any) string {
	return strings.ReplaceAll(fmt.Sprintf("%T", x), "github.com/weakscope/weakscope/", "")
}

// labelOf labels the object the pointer x holds, if it is one.
func labelOf(l map[uintptr]string, x any) map[uintptr]string {
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && !v.IsNil() {
		l[v.Pointer()] = typeName(x)
	}
	return l
}

// subjectLabels names the subject and, through Labeler, what it knows.
func subjectLabels(subj Subject) map[uintptr]string {
	l := map[uintptr]string{}
	if lb, ok := subj.(Labeler); ok {
		l = lb.Labels()
	}
	return labelOf(l, subj)
}

// witnesses collects a subject's witnesses. It watches nothing until the
// runner asks (only runs that look for retention paths do): a witness is a
// weak pointer and a closure, a few heap objects that would otherwise count
// as retained.
type witnesses struct {
	on   bool
	list []Witness
}

// watchReleased is called by the runner, before Populate, when it will
// look for retention paths.
func (w *witnesses) watchReleased() { w.on = true }

// Witnesses returns the objects watched so far.
func (w *witnesses) Witnesses() []Witness { return w.list }

// watch adds a witness for p unless there are enough.
func watch[T any](w *witnesses, p *T) { watchNoted(w, p, "") }

// watchNoted is watch with a note for the path.
func watchNoted[T any](w *witnesses, p *T, note string) {
	if w.on && p != nil && len(w.list) < maxWitnesses {
		x := Watch(p)
		x.Note = note
		w.list = append(w.list, x)
	}
}

// retention finds the retention paths of subj's witnesses that are still
// alive, in one heap dump of this process. It returns nothing when the
// subject watches nothing or everything it watched was collected, and a
// reason instead of paths when the dump could not be written or read.
func retention(ctx context.Context, subj Subject) ([]report.RetentionPath, string) {
	w, ok := subj.(Witnesser)
	if !ok {
		return nil, ""
	}
	var targets []uintptr
	var types []string
	for _, x := range w.Witnesses() {
		if a := x.addr(); a != 0 {
			targets = append(targets, a)
			types = append(types, strings.TrimSpace(x.Type+" "+x.Note))
		}
	}
	if len(targets) == 0 {
		return nil, ""
	}
	labels := subjectLabels(subj)
	paths, err := inspect.RetentionPaths(ctx, targets)
	if err != nil {
		return nil, err.Error()
	}
	out := make([]report.RetentionPath, 0, len(paths))
	for i, p := range paths {
		// The dump knows the types of large objects only; the scenario
		// knows what it watched and what holds it.
		for k := range p.Steps {
			if p.Steps[k].Type == "" {
				p.Steps[k].Type = labels[p.Steps[k].Addr]
			}
		}
		if n := len(p.Steps); n > 0 && p.Steps[n-1].Type == "" {
			p.Steps[n-1].Type = types[i]
		}
		rp := report.RetentionPath{Object: types[i], Found: p.Found, Path: p.String()}
		if p.Found {
			rp.RootKind, rp.Root = string(p.Root.Kind), p.Root.Name
		}
		for _, s := range p.Steps {
			rp.Steps = append(rp.Steps, report.RetentionStep{Addr: uint64(s.Addr), Size: s.Size, Offset: s.Offset, Type: s.Type})
		}
		out = append(out, rp)
	}
	return out, ""
}
