package harness

// Host-side services, shared by the systems that call plain Go funcs.

// Add is the add service.
func Add(a, b int64) int64 { return a + b }

// Echo is the echo service: it returns its argument.
func Echo(b []byte) []byte { return b }

// EchoRecord is the struct service: it returns its argument.
func EchoRecord(r Record) Record { return r }
