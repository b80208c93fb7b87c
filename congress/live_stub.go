package congress

// registerLive adds the live part's routes (events, snapshot,
// dashboard); it is replaced when that part is built.
func (s *Service) registerLive(r Router) {}
