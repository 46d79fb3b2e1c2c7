package registry

// WithoutJSONDec makes s decode its arguments with the codec alone, as it
// does when jsonfast declines them, until the returned func is called.
func WithoutJSONDec(s *Service) (restore func()) {
	fast := s.fast
	s.fast = nil
	return func() { s.fast = fast }
}

// UsesJSONDec reports whether s decodes its arguments with jsonfast first.
func UsesJSONDec(s *Service) bool { return s.fast != nil }
