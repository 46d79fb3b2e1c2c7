package engine

// DefaultMaxPendingBytes is the default of Config.MaxPendingBytes.
const DefaultMaxPendingBytes = 64 << 20

// callBytes is what a call's arguments and blobs hold.
func callBytes(cl *call) int64 {
	n := int64(len(cl.req.Args))
	for _, b := range cl.blobs {
		n += int64(len(b))
	}
	return n
}

// roomFor reports whether a call holding n bytes may be admitted: it fits
// in the budget, or nothing else holds any, so that a call larger than
// the budget (within the frame limit) runs, alone. c.mu is held.
func (c *Conn) roomFor(n int64) bool {
	held := c.held
	return held == 0 || held+n <= int64(c.cfg.MaxPendingBytes)
}

// hold and unhold count cl's bytes in and out of the budget. c.mu is held.
func (c *Conn) hold(cl *call)   { c.held += cl.bytes }
func (c *Conn) unhold(cl *call) { c.held -= cl.bytes }
