package congress

func (s *Service) registerPages(r Router) {}
