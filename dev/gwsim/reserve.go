package gwsim

import (
	"github.com/gwops/terraform-provider-apigw/dev/portreserve"
)

// reservePort reserves a port on the cluster's host that no configured port
// of the cluster uses (a disabled port holds its number without a
// listener), and keeps it for bind.
func (c *Cluster) reservePort() int {
	var skipped []*portreserve.Port
	defer func() {
		for _, r := range skipped {
			_ = r.Close()
		}
	}()
	for range 100 {
		r, err := portreserve.Reserve(c.opts.Host)
		if err != nil {
			return 0
		}
		if c.portConfigured(r.Number()) {
			skipped = append(skipped, r) // held until a fit one is found, so it is not handed out again
			continue
		}
		return c.keepReservation(r)
	}
	return 0
}

// keepReservation holds r for bind and returns its number; 0 (and r
// closed) when the cluster is closing.
func (c *Cluster) keepReservation(r *portreserve.Port) int {
	c.resMu.Lock()
	defer c.resMu.Unlock()
	if c.ctx.Err() != nil {
		_ = r.Close()
		return 0
	}
	c.reserved[r.Number()] = r
	return r.Number()
}

// takeReservation hands over the reservation of port, or nil.
func (c *Cluster) takeReservation(port int) *portreserve.Port {
	if port == 0 {
		return nil
	}
	c.resMu.Lock()
	defer c.resMu.Unlock()
	r := c.reserved[port]
	delete(c.reserved, port)
	return r
}

// releaseReservations gives up the ports reserved and never used.
func (c *Cluster) releaseReservations() {
	c.resMu.Lock()
	defer c.resMu.Unlock()
	for n, r := range c.reserved {
		_ = r.Close()
		delete(c.reserved, n)
	}
}

func (c *Cluster) portConfigured(number int) bool {
	for _, n := range c.nodes {
		n.mu.Lock()
		used := n.findPortLocked(number) != nil
		n.mu.Unlock()
		if used {
			return true
		}
	}
	return false
}
