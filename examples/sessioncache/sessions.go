package main

import (
	"sync"

	"github.com/weakscope/weakscope/scenario/cache"
)

// User is who a session belongs to.
type User struct {
	Name string
}

// Session is one logged-in user's state.
type Session struct {
	ID   string
	User *User
	Data []byte // what the application keeps per session
}

// SessionCache keeps sessions by ID so that a request finds its session.
// It has the bug this example is about: nothing ever deletes a session, so
// the cache keeps every session a user has logged out of.
type SessionCache struct {
	mu sync.Mutex
	m  map[string]*Session
}

// NewSessionCache returns an empty cache.
func NewSessionCache() *SessionCache { return &SessionCache{m: map[string]*Session{}} }

// Put stores s under id.
func (c *SessionCache) Put(id string, s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[id] = s
}

// Get returns the session under id.
func (c *SessionCache) Get(id string) (*Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[id]
	return s, ok
}

// Len is the number of sessions cached.
func (c *SessionCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// recentlyUsed is how many recently used sessions WeakSessionCache also
// holds strongly. The fix for SessionCache is to hold none: the login
// handler owns a session, the cache only finds it.
const recentlyUsed = 0

// WeakSessionCache is the fix: it finds sessions by ID without keeping
// them alive, so a session goes once its login handler drops it.
type WeakSessionCache struct {
	m *cache.WeakValues[string, Session]

	mu     sync.Mutex
	recent []*Session // the last recentlyUsed sessions stored
}

// NewWeakSessionCache returns an empty cache.
func NewWeakSessionCache() *WeakSessionCache {
	return &WeakSessionCache{m: cache.NewWeakValues[string, Session]()}
}

// Put stores s under id, weakly.
func (c *WeakSessionCache) Put(id string, s *Session) {
	c.m.Put(id, s)
	if recentlyUsed > 0 {
		c.mu.Lock()
		c.recent = append(c.recent, s)
		if len(c.recent) > recentlyUsed {
			c.recent = c.recent[1:]
		}
		c.mu.Unlock()
	}
}

// Get returns the session under id, if it is still alive.
func (c *WeakSessionCache) Get(id string) (*Session, bool) { return c.m.Get(id) }

// Len is the number of entries, counting dead ones until they are swept.
func (c *WeakSessionCache) Len() int { return c.m.Len() }

// Listener is told about events, as long as its owner keeps it.
type Listener struct {
	Owner  *User
	Events int
}

// Registry is an event registry that holds its listeners strongly: the
// lapsed-listener leak. A weak registry is cache.WeakSet.
type Registry struct {
	mu        sync.Mutex
	listeners []*Listener
}

// Add registers l.
func (r *Registry) Add(l *Listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, l)
}

// Len is the number of listeners registered.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.listeners)
}

// All yields the listeners an event goes to.
func (r *Registry) All() func(yield func(*Listener) bool) {
	r.mu.Lock()
	ls := append([]*Listener(nil), r.listeners...)
	r.mu.Unlock()
	return func(yield func(*Listener) bool) {
		for _, l := range ls {
			if !yield(l) {
				return
			}
		}
	}
}
