package host

// defaultBinder on Linux: anonymous pipes through procfs.
func defaultBinder(cfg *bindConfig) BindFunc {
	WithAnonymousPipe()(cfg)
	return cfg.bind(cfg)
}
