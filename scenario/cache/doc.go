// Package cache holds the objects that weakscope's scenarios compare, for
// any Go program to use: the textbook strong cache, which keeps alive
// everything it holds, and the weak containers that Go's standard library
// does not have.
//
//   - [Strong] and [StrongSet] are a map and a set behind a lock. They keep
//     their contents alive until deleted.
//   - [WeakValues] holds its values weakly, like Python's
//     WeakValueDictionary and Guava's or Caffeine's weakValues().
//   - [WeakKeys] holds its keys weakly, by pointer identity, like Python's
//     WeakKeyDictionary and Java's WeakHashMap.
//   - [WeakSet] holds its elements weakly, like Python's WeakSet.
//   - [WeakCache] is a bounded cache that is also a weak-value map: it
//     holds its most used values strongly, up to a capacity, and finds
//     every value it stored for as long as anyone holds it, like
//     Caffeine's weakValues() with maximumSize.
//
// All of them are safe for concurrent use. The weak ones are built on
// [weak.Pointer] and [runtime.AddCleanup]. Dropping a weak container
// releases it and everything it owns even while the objects it refers to
// live on.
//
// # When a weak container is the right tool
//
// A weak container answers "which of these objects still exist?", not
// "which objects will I need again?". It is the right tool
//
//   - to canonicalise: [WeakValues.LoadOrStore] hands every caller the same
//     object for a key for as long as anyone uses it (interned symbols, one
//     parsed copy of a shared document, one client per address);
//   - for a registry: listeners, sessions or live objects that should leave
//     the registry when their owner drops them, with no unregister call to
//     forget;
//   - for a side table: [WeakKeys] attaches data to objects the program does
//     not own, for exactly as long as they live.
//
// # When it is not
//
// A weak container alone is not a cache with a hit-rate goal. Its entries
// go at the first GC cycle after the rest of the program lets go of them,
// and GC cycles come with allocation, not with how recently or how often an
// entry was used: the busier the program, the sooner the container loses
// exactly the entries that nobody else holds, which are the ones a cache
// exists to keep. To keep results for reuse, bound a strong cache and give
// it an eviction policy (LRU, LFU, a TTL) — or use [WeakCache], which is
// such a cache and also never lets a value that is still in use be built a
// second time for its key. Go has no soft references, which some runtimes
// clear only under memory pressure, so nothing here approximates one.
//
// # When entries go
//
// Nothing happens between GC cycles. A cycle that finds an entry's referent
// unreachable makes the referent's weak pointer nil at once, so Get, All and
// Contains never report it again; what the [Strategy] decides is when the
// dead entry is removed, and so stops being counted by Len:
//
//   - [Cleanup] (the default) registers one runtime.AddCleanup per entry,
//     which the runtime runs on its own goroutine shortly after the cycle.
//   - [Sweep] registers nothing per entry; a sweep over the container after
//     every cycle, and a few entries examined on each insert, remove dead
//     entries. Inserts cost about half as much and entries are smaller,
//     but each sweep costs time proportional to the container's size.
//
// In tests, [github.com/weakscope/weakscope/inspect.Settle] with the
// container's Len as a probe waits for both, within a budget.
//
// # What is never released
//
// An entry lasts as long as its referent, and some referents last forever:
//
//   - pointer-free objects of 16 bytes or less, which the tiny allocator may
//     batch into one block that lives while any of them does;
//   - zero-size objects, which all share one address that is never
//     collected (so all zero-size keys or elements of a container are one);
//   - objects placed by the linker, such as package-level variables;
//   - in a WeakKeys, a key that its own value refers to: the map holds the
//     value strongly and Go has no ephemerons (see [WeakKeys]).
//
// The containers accept all of these without panicking; such entries simply
// behave like strong ones.
//
// # Cost
//
// Each container's figures are measured against what no implementation
// can avoid, in one process and interleaved rounds (module bench/; the
// tables and the commands that make them are in docs/PERFORMANCE.md): a
// Put costs about what the runtime charges for weak.Make (and, under
// Cleanup, runtime.AddCleanup), most of it the runtime's linear search of
// the per-span list where it files weak handles and cleanups; a lookup
// about what a map under a mutex costs, plus weak.Pointer.Value; an
// iteration about what a locked range over a map of weak pointers costs.
// The entries are split over shards with a lock each, so concurrent
// readers rarely meet on one lock word. A table whose entries fall to a
// quarter of their peak is rebuilt at its live size, so a container gives
// its memory back after a mass release. Beyond the runtime's weak handle
// (16 bytes on the heap and 32 off it), an entry costs its map slot and,
// under Cleanup, the cleanup's argument and call (32 bytes on the heap,
// 56 off it). Lookups are counted only [WithStats].
package cache
