package bench

import (
	"context"
	"errors"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// gateway adapts the real HTTP client to the engine exactly as the
// provider's unexported adapter does (internal/provider/gateway.go), so the
// in-process rollout measures the same requests a terraform apply makes.
type gateway struct{ c *apigw.Client }

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

func (g gateway) QuiesceAll(ctx context.Context, nodeURL string, flush []string) error {
	_, err := g.c.SetQuiesceMode(ctx, nodeURL, apigw.QuiesceMode{Block: "all", Enable: true, Flush: flush})
	if apigw.IsConflict(err) {
		return errors.Join(rollout.ErrAlreadyQuiesced, err)
	}
	return err
}

func (g gateway) DrainShutdown(ctx context.Context, nodeURL string, timeout time.Duration) error {
	minutes := max(int((timeout+time.Minute-1)/time.Minute), 1)
	return g.c.Shutdown(ctx, nodeURL, apigw.ShutdownRequest{Option: "drain", Timeout: minutes})
}
