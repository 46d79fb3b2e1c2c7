package service

// HelloAnswered returns a channel closed once c's hello has been answered
// (or abandoned), for tests that must not race the answer.
func HelloAnswered(c *Client) <-chan struct{} { return c.conn.HelloAnswered() }
