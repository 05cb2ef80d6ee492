package pgstore

// Crash abandons s as the death of its process would: the heartbeat
// stops and the connections drop, but the lease is not released.
func Crash(s *Store) {
	if s.stop() == nil {
		s.pool.Close()
	}
}
