package congress

func (s *Service) registerAPI(r Router) {}
