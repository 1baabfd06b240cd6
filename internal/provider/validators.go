package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// stringCheck is a string attribute's validator made of a check: the
// duration, URL and version validators differ only in the check, what a
// valid value is and the error's summary, so they are values of this one
// type. Null and unknown values are left alone.
type stringCheck struct {
	summary string // the error's summary, e.g. "Invalid URL"
	must    string // what a valid value is, for descriptions and errors
	check   func(string) error
}

var _ validator.String = stringCheck{}

func (v stringCheck) Description(context.Context) string { return v.must }

func (v stringCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v stringCheck) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary,
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}

// durationValidator accepts non-negative Go duration strings such as "90s"
// or "15m"; with positive, zero is refused too.
func durationValidator(positive bool) stringCheck {
	must := `a non-negative Go duration such as "0s", "90s" or "15m"`
	if positive {
		must = `a positive Go duration such as "90s" or "15m"`
	}
	return stringCheck{summary: "Invalid duration", must: must,
		check: func(s string) error { return checkDuration(s, positive) }}
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
var urlValidator = stringCheck{summary: "Invalid URL", must: rollout.URLForm, check: rollout.CheckURL}

// versionValidator accepts dotted numeric versions such as "10.15.0.7"
// that name at least the release (rollout.ValidateTarget).
var versionValidator = stringCheck{summary: "Invalid version",
	must:  `a dotted numeric version of at least two segments, such as "10.15.0.7"`,
	check: rollout.ValidateTarget}
