//go:build !linux

package host

// defaultBinder where there is no procfs: inherited descriptors.
func defaultBinder(cfg *bindConfig) BindFunc {
	WithInheritedPipes()(cfg)
	return cfg.bind(cfg)
}
