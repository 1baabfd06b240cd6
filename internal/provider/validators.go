package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// durationValidator accepts non-negative Go duration strings such as "90s"
// or "15m".
type durationValidator struct {
	positive bool // zero refused too
}

var _ validator.String = durationValidator{}

func (v durationValidator) Description(context.Context) string {
	if v.positive {
		return `a positive Go duration such as "90s" or "15m"`
	}
	return `a non-negative Go duration such as "0s", "90s" or "15m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkDuration(req.ConfigValue.ValueString(), v.positive); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}

// checkDuration parses s and refuses negative (and, when positive is set, zero) values.
func checkDuration(s string, positive bool) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a duration", s)
	case d < 0:
		return fmt.Errorf("%q is negative", s)
	case positive && d == 0:
		return fmt.Errorf("%q is zero", s)
	}
	return nil
}

// urlValidator accepts absolute http(s) URLs with a host, such as
// "https://gw-1:5555".
type urlValidator struct{}

var _ validator.String = urlValidator{}

func (urlValidator) Description(context.Context) string { return rollout.URLForm }

func (v urlValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v urlValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := rollout.CheckURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}

// versionValidator accepts dotted numeric versions such as "10.15.0.7"
// that name at least the release (rollout.ValidateTarget).
type versionValidator struct{}

var _ validator.String = versionValidator{}

func (versionValidator) Description(context.Context) string {
	return `a dotted numeric version of at least two segments, such as "10.15.0.7"`
}

func (v versionValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v versionValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := rollout.ValidateTarget(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid version",
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}
