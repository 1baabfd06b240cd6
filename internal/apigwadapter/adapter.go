// Package apigwadapter adapts the API client (internal/apigw) to the rollout
// engine's Gateway interface (internal/rollout), so that neither of the two
// knows the other. It is named after what it adapts: the engine's side is
// an interface any gateway could satisfy, and this is the one for the
// webMethods API Gateway's admin REST API. The provider and the benchmark
// wire the engine through it.
package apigwadapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gwops/terraform-provider-apigw/internal/apigw"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// adapter is the engine's Gateway on top of the client; New makes one.
type adapter struct {
	c *apigw.Client
}

var (
	_ rollout.Gateway           = adapter{}
	_ rollout.QuiescePortReader = adapter{}
)

// New returns the engine's view of the gateways c talks to. Quiesce and
// shutdown requests are repeated at most max_retries times, each only after
// a look at the node.
func New(c *apigw.Client) rollout.Gateway { return adapter{c: c} }

func (g adapter) Version(ctx context.Context, nodeURL string) (string, error) {
	return g.c.Version(ctx, nodeURL)
}

// Health probes a node; a probe without an answer says why (a refused
// connection, a timeout, ...) as a rollout.Silence, and one the node
// refused (401, 403) is marked rollout.HealthCredentials.
func (g adapter) Health(ctx context.Context, baseURL string) (int, error) {
	code, err := g.c.Health(ctx, baseURL)
	switch {
	case apigw.IsHealthRefused(err):
		return code, rollout.HealthCredentials(err)
	case err != nil:
		return 0, rollout.Silent(silences[apigw.NoAnswerOf(err)], err)
	}
	return code, nil
}

// silences maps the client's kinds of no answer to the engine's.
var silences = map[apigw.NoAnswer]rollout.Silence{
	apigw.NoAnswerOther:   rollout.SilenceOther,
	apigw.NoAnswerRefused: rollout.SilenceRefused,
	apigw.NoAnswerClosed:  rollout.SilenceClosed,
	apigw.NoAnswerTimeout: rollout.SilenceTimeout,
	apigw.NoAnswerDNS:     rollout.SilenceDNS,
}

// QuiescePort reads the node's quiesce-port setting, and the port it names,
// for pre-flight. A port that cannot be read leaves Unfit empty: the health
// check on quiesce_url stands.
func (g adapter) QuiescePort(ctx context.Context, nodeURL string) (rollout.QuiescePortSetting, error) {
	d, err := g.c.GetQuiescePort(ctx, nodeURL)
	if err != nil {
		return rollout.QuiescePortSetting{}, err
	}
	if d.PortAlias == "" && d.PortKey == "" {
		return rollout.QuiescePortSetting{}, nil
	}
	st := rollout.QuiescePortSetting{Set: true}
	if _, port, _, ok := apigw.ParseListenerKey(d.PortKey); ok {
		st.Port = port
		if p, err := g.c.GetPort(ctx, nodeURL, d.PortKey); err == nil {
			st.Unfit = p.QuiesceUnfit()
		}
	}
	return st, nil
}

// QuiesceAll asks for quiesce mode for all; the gateway's 409 (that mode is
// already in effect) means an earlier request started it, and a 200 whose
// status is "failure" is a refusal like an error status (the tutorial:
// stop there). The request is not idempotent, so it is repeated only as
// notBlind allows.
func (g adapter) QuiesceAll(ctx context.Context, nodeURL string, flush []string) error {
	return g.notBlind(ctx, nodeURL, func() error {
		_, err := g.c.SetQuiesceMode(ctx, nodeURL, apigw.QuiesceMode{Block: "all", Enable: true, Flush: flush})
		switch {
		case apigw.IsConflict(err):
			return errors.Join(rollout.ErrAlreadyQuiesced, err)
		case apigw.IsFailureAnswer(err):
			return rollout.Refused(err)
		}
		return err
	}, func(err error) error {
		return fmt.Errorf("%w: the quiesce request got no usable answer (%v) and the node no longer answers health 200 on its primary port", rollout.ErrAlreadyQuiesced, err)
	})
}

// DrainShutdown asks the node to finish its sessions and stop; the API takes
// whole minutes, so a timeout that is not one is rounded up (as
// rollout.ShutdownTimeout does). The request is not idempotent, so it is
// repeated only as notBlind allows.
func (g adapter) DrainShutdown(ctx context.Context, nodeURL string, timeout time.Duration) error {
	minutes := int(rollout.ShutdownTimeout(timeout) / time.Minute)
	return g.notBlind(ctx, nodeURL, func() error {
		return g.c.Shutdown(ctx, nodeURL, apigw.ShutdownRequest{Bounce: false, Option: "drain", Timeout: minutes, Quiesce: false})
	}, func(error) error { return nil })
}

// notBlind sends a request that must take effect once (quiesce, shutdown);
// the client never repeats those itself. After a failure that either left
// the outcome open or turned the request away before any work (no answer,
// 429, 502, 503, 504) it looks at the node first: a node that no longer
// answers health 200 on its primary port has left service (the request took
// effect, or the node went down) and gone(err) says how the engine takes
// that; a node that still serves gets the request again, at most
// max_retries times. For quiesce the gateway's 409 then tells that an earlier
// attempt took effect. A final HTTP error answer is marked rollout.Refused
// (the gateway did nothing) only when no attempt's outcome was left open:
// after a lost answer, or a 502/504 from a proxy whose upstream may have
// acted, the node may already be on its way down.
func (g adapter) notBlind(ctx context.Context, nodeURL string, send func() error, gone func(error) error) error {
	open := false    // an attempt that was repeated left its outcome open
	settled := false // the look at the node, not a send, decided the outcome
	err := g.c.Repeat(ctx, send, func(err error) (bool, error) {
		open = open || outcomeOpen(err)
		code, herr := g.c.Health(ctx, nodeURL)
		if ctx.Err() != nil {
			return false, err
		}
		if apigw.IsHealthRefused(herr) {
			// The look cannot tell whether the node left service: the
			// send's own error stands, with what the look saw.
			return false, fmt.Errorf("%w (the look at the node before a repeat failed: %v)", err, herr)
		}
		if herr != nil || code != http.StatusOK {
			settled = true
			return false, gone(err)
		}
		return true, nil
	})
	// The last send's own HTTP error, with nothing left open: the gateway
	// turned the request away and did nothing.
	if err != nil && !settled && ctx.Err() == nil && !errors.Is(err, rollout.ErrAlreadyQuiesced) && !outcomeOpen(err) && !open {
		return rollout.Refused(err)
	}
	return err
}

// outcomeOpen reports a failure after which the request may have taken
// effect: no answer, or a proxy's 502/504 whose upstream may have acted.
func outcomeOpen(err error) bool {
	switch apigw.StatusCode(err) {
	case 0, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}
