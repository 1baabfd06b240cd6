// Package gateway adapts the HTTP client (internal/apigw) to the rollout
// engine's Gateway interface (internal/rollout), so that neither of the two
// knows the other.
package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// gateway is the adapter; New makes one.
type gateway struct {
	c *apigw.Client
}

var _ rollout.Gateway = gateway{}

// New returns the engine's view of the gateways c talks to.
func New(c *apigw.Client) rollout.Gateway { return gateway{c: c} }

func (g gateway) Version(ctx context.Context, nodeURL string) (string, error) {
	info, err := g.c.ServerInfo(ctx, nodeURL)
	if err != nil {
		return "", err
	}
	return info.Version, nil
}

func (g gateway) Health(ctx context.Context, baseURL string) (int, error) {
	return g.c.Health(ctx, baseURL)
}

// QuiesceAll asks for quiesce mode for all; the gateway's 409 (that mode is
// already in effect) means an earlier request started it.
func (g gateway) QuiesceAll(ctx context.Context, nodeURL string, flush []string) error {
	_, err := g.c.SetQuiesceMode(ctx, nodeURL, apigw.QuiesceMode{Block: "all", Enable: true, Flush: flush})
	if apigw.IsConflict(err) {
		return errors.Join(rollout.ErrAlreadyQuiesced, err)
	}
	return err
}

// DrainShutdown asks the node to finish its sessions and stop; the API takes
// whole minutes, so the timeout is rounded up.
func (g gateway) DrainShutdown(ctx context.Context, nodeURL string, timeout time.Duration) error {
	minutes := int((timeout + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	return g.c.Shutdown(ctx, nodeURL, apigw.ShutdownRequest{Bounce: false, Option: "drain", Timeout: minutes, Quiesce: false})
}
