package scenario

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"weak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

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

// Value returns the watched object (a pointer, as given to [Watch]), or nil
// once it has been collected or for a Witness not made by Watch.
func (w Witness) Value() any {
	if w.value == nil {
		return nil
	}
	return w.value()
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
// they release, so that a run can say what still keeps them alive (see
// [Options.Why]). Embed a [WitnessList] to implement it.
type Witnesser interface {
	// WatchReleased is called before Populate, and only in runs that look
	// for retention paths: a witness is a weak pointer and a closure, a
	// few heap objects that a run which does not look would count as
	// retained.
	WatchReleased()
	// Witnesses returns the objects watched, at most [MaxWitnesses].
	Witnesses() []Witness
}

// MaxWitnesses is how many released objects a variant's retention paths
// follow; a WitnessList takes no more.
const MaxWitnesses = 3

// Labeler is implemented by subjects that can name objects which their
// witnesses' retention paths pass through: a heap dump records the types
// of large objects only, so the runner labels the subject itself and asks
// the subject for the rest. Keys are object addresses.
type Labeler interface {
	Labels() map[uintptr]string
}

// typeName is x's type as Go code names it, package paths cut to their last
// element: %T writes the type arguments of a generic type with their full
// import paths.
func typeName(x any) string {
	return pkgPath.ReplaceAllString(fmt.Sprintf("%T", x), "")
}

// pkgPath matches the leading elements of an import path before a
// package-qualified name, such as "github.com/weakscope/weakscope/scenario/".
var pkgPath = regexp.MustCompile(`[\w.~-]+(/[\w.~-]+)*/`)

// Label adds to l the type of the object the pointer x points to (for a
// *cache.Entry, "cache.Entry"), keyed by its address, for a [Labeler];
// anything but a non-nil pointer adds nothing. It returns l.
//
// When the runner asks a subject for its labels (it calls Labels just
// before it looks for retention paths), the types of the objects labelled
// this way also start typing the path field by field after them, where
// the executable has DWARF, as the subject's own type does.
func Label(l map[uintptr]string, x any) map[uintptr]string {
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && !v.IsNil() {
		l[v.Pointer()] = strings.TrimPrefix(typeName(x), "*")
		labelTypes.Lock()
		if labelTypes.m != nil {
			labelTypes.m[v.Pointer()] = v.Type().Elem()
		}
		labelTypes.Unlock()
	}
	return l
}

// labelTypes collects, while subjectLabels asks a subject for its labels,
// the types of the objects Label labels.
var labelTypes struct {
	sync.Mutex
	m map[uintptr]reflect.Type
}

// labelsOnce serialises subjectLabels, so that each collects only its own.
var labelsOnce sync.Mutex

// subjectLabels names the subject and, through Labeler, what it knows, and
// returns the types of the objects labelled.
func subjectLabels(subj Subject) (map[uintptr]string, map[uintptr]reflect.Type) {
	labelsOnce.Lock()
	defer labelsOnce.Unlock()
	types := map[uintptr]reflect.Type{}
	labelTypes.Lock()
	labelTypes.m = types
	labelTypes.Unlock()
	defer func() {
		labelTypes.Lock()
		labelTypes.m = nil
		labelTypes.Unlock()
	}()
	l := map[uintptr]string{}
	if lb, ok := subj.(Labeler); ok {
		l = lb.Labels()
	}
	return Label(l, subj), types
}

// WitnessList implements [Witnesser] for the subject that embeds it: it
// watches nothing until the runner calls WatchReleased, then takes up to
// [MaxWitnesses] witnesses. The zero value is ready to use. A subject
// calls Add for the objects it releases:
//
//	if s.witnesses.Wants() {
//		s.witnesses.Add(scenario.Watch(obj))
//	}
type WitnessList struct {
	on   bool
	list []Witness
}

// WatchReleased turns watching on; the runner calls it.
func (l *WitnessList) WatchReleased() { l.on = true }

// Wants reports whether Add would take another witness: watching is on and
// the list is not full. Checking it first saves making a witness that
// would be thrown away.
func (l *WitnessList) Wants() bool { return l.on && len(l.list) < MaxWitnesses }

// Add adds a witness if the list wants one.
func (l *WitnessList) Add(w Witness) {
	if l.Wants() {
		l.list = append(l.list, w)
	}
}

// Witnesses returns the witnesses added so far.
func (l *WitnessList) Witnesses() []Witness { return l.list }

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
	// The subject's own type, and those of the objects it labels, start
	// the paths through them, field by field.
	labels, known := subjectLabels(subj)
	// The framework's own subjects know their holder behind its interface.
	if o, ok := subj.(interface {
		objectTypes() map[uintptr]reflect.Type
	}); ok {
		maps.Copy(known, o.objectTypes())
	}
	paths, err := inspect.RetentionPaths(ctx, targets, inspect.WithObjectTypes(known))
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
		// The last step is the object watched: its type as the subject
		// knows it wins, with what the subject says about where it lives.
		if n := len(p.Steps); n > 0 && (p.Steps[n-1].Type == "" || strings.Contains(types[i], " ")) {
			// The witness's type is that of the pointer to it.
			p.Steps[n-1].Type = strings.TrimPrefix(types[i], "*")
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
