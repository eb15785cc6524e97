package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// settle forces GC cycles until the heap and probe stop changing. It stands
// in for "some time later" in the examples, and makes their output the same
// on every run: under the default Cleanup strategy, the cleanups that remove
// dead entries have all run when it returns.
func settle(probe func() int) {
	if _, err := inspect.Settle(context.Background(), inspect.WithProbe(probe)); err != nil {
		panic(err)
	}
}

// Report is an expensive result worth caching.
type Report struct {
	Title string
	Rows  []string
}

// A strong cache keeps the report alive after its caller has let go of it:
// the next request is a hit, and the memory stays in use until the entry
// is deleted.
func ExampleStrong() {
	reports := cache.NewStrong[string, Report]()
	render := func() {
		r := &Report{Title: "Q3 sales", Rows: []string{"north", "south"}}
		reports.Put("q3", r)
	} // the report's only other reference goes here
	render()

	settle(reports.Len)
	r, ok := reports.Get("q3")
	fmt.Println("cached:", ok, r.Title)
	// Output:
	// cached: true Q3 sales
}

// Dataset is a large object that several parts of a program share.
type Dataset struct {
	Name   string
	Values []float64
}

// A WeakValues finds the dataset a program already has loaded, without
// keeping it loaded: when the program drops one dataset, only that entry
// goes.
func ExampleWeakValues() {
	loaded := cache.NewWeakValues[string, Dataset]()
	inUse := map[string]*Dataset{} // the program's own references
	for _, name := range []string{"iris", "wine"} {
		d := &Dataset{Name: name, Values: []float64{5.1, 4.9, 4.7}}
		inUse[name] = d
		loaded.Put(name, d)
	}
	fmt.Println("loaded:", loaded.Len())

	delete(inUse, "wine") // the program is done with wine
	settle(loaded.Len)

	_, ok := loaded.Get("wine")
	fmt.Println("wine still loaded:", ok)
	iris, ok := loaded.Get("iris")
	fmt.Println("iris still loaded:", ok, iris == inUse["iris"])
	fmt.Println("loaded:", loaded.Len())
	// Output:
	// loaded: 2
	// wine still loaded: false
	// iris still loaded: true true
	// loaded: 1
}

// Symbol is a value worth having once per name.
type Symbol struct {
	Name  string
	Attrs []string
}

// LoadOrStore canonicalises: every caller that asks for the same name gets
// the same object for as long as anyone uses it.
func ExampleWeakValues_LoadOrStore() {
	symbols := cache.NewWeakValues[string, Symbol]()
	intern := func(name string) *Symbol {
		s, _ := symbols.LoadOrStore(name, &Symbol{Name: name})
		return s
	}
	a, b := intern("main"), intern("main")
	fmt.Println("same object:", a == b)
	runtime.KeepAlive(a)
	// Output:
	// same object: true
}

// Listener wants to hear about events while it exists.
type Listener struct {
	Name string
	Seen []string
}

// A WeakSet of listeners does not keep a listener alive just because it is
// registered: when the dialog that owns one is closed, the registry's count
// drops from 2 to 1 without an explicit unsubscribe.
func ExampleWeakSet() {
	registry := cache.NewWeakSet[Listener]()
	logger := &Listener{Name: "logger"}
	registry.Add(logger)

	openDialog := func() {
		dialog := &Listener{Name: "dialog"}
		registry.Add(dialog)
		fmt.Println("listeners:", registry.Len())
	} // closing the dialog drops its listener
	openDialog()

	settle(registry.Len)
	fmt.Println("listeners:", registry.Len())
	for l := range registry.All() {
		fmt.Println("notifying", l.Name)
	}
	runtime.KeepAlive(logger)
	// Output:
	// listeners: 2
	// listeners: 1
	// notifying logger
}

// Request is an object owned by other code, to which a WeakKeys attaches
// data of its own.
type Request struct {
	Path    string
	Headers []string
}

// A WeakKeys attaches data to objects without changing them or keeping
// them alive: the start time of each request lasts as long as the request.
func ExampleWeakKeys() {
	started := cache.NewWeakKeys[Request, time.Time]()
	serve := func(r *Request) {
		started.Put(r, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		if t, ok := started.Get(r); ok {
			fmt.Println(r.Path, "started at", t.Format(time.TimeOnly))
		}
	}
	serve(&Request{Path: "/a"})
	serve(&Request{Path: "/b"})

	settle(started.Len)
	fmt.Println("requests tracked:", started.Len())
	// Output:
	// /a started at 03:04:05
	// /b started at 03:04:05
	// requests tracked: 0
}

// Under the Sweep strategy a dead entry stays counted until the sweep
// after its cycle, but lookups never see it.
func ExampleWithStrategy() {
	m := cache.NewWeakValues[int, Dataset](cache.WithStrategy(cache.Sweep))
	m.Put(1, &Dataset{Name: "temporary"})

	settle(m.Len)
	_, ok := m.Get(1)
	fmt.Println("found:", ok)
	// Output:
	// found: false
}

// Page is a rendered page: expensive to build, and shared by every request
// that shows it.
type Page struct {
	Path string
	HTML []byte
}

// A WeakCache keeps its most used pages alive up to its capacity, and
// finds every other page for as long as some request still holds it, so
// two requests never render two copies of a page at once.
func ExampleWeakCache() {
	pages := cache.NewWeakCache[string, Page](2)
	render := func(path string) *Page {
		p, _ := pages.LoadOrStore(path, &Page{Path: path, HTML: []byte("<h1>" + path + "</h1>")})
		return p
	}
	home, about := render("/"), render("/about")
	fmt.Println("held strongly:", pages.Held(), "of", pages.Capacity())

	// The cache is full: a page used once is held only by its request.
	inFlight := render("/report")
	fmt.Println("held strongly:", pages.Held())
	// A second request while the first still holds it gets the same page
	// (and the page, found again, earns a place among the strong ones).
	fmt.Println("same page:", render("/report") == inFlight)

	inFlight = nil // the request is done
	_ = inFlight
	settle(pages.Len)
	fmt.Println("entries:", pages.Len(), "held strongly:", pages.Held())
	runtime.KeepAlive(home)
	runtime.KeepAlive(about)
	// Output:
	// held strongly: 2 of 2
	// held strongly: 2
	// same page: true
	// entries: 3 held strongly: 2
}
