package inspect

// Fallbacks reports how many cycles Sync had to read itself because the
// sentinel missed them.
func Fallbacks(s *Sampler) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fallbacks
}
