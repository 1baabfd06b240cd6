package provider

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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

func (urlValidator) Description(context.Context) string {
	return `an absolute http or https URL with a host, such as "https://gw-1:5555"`
}

func (v urlValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v urlValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%s: %s; it must be %s.", req.Path, err, v.Description(ctx)))
	}
}

// checkURL refuses anything but an absolute http(s) URL with a host and no
// user information, query or fragment.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q does not parse as a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q has no http:// or https:// scheme", s)
	case u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil:
		// The client would drop them, but the URL is stored in state and
		// shown in plans and messages: refuse, and do not repeat them.
		return fmt.Errorf("%q contains user information; give credentials with the provider's username and password (or APIGW_USERNAME and APIGW_PASSWORD), never in a URL", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q has a query or fragment", s)
	}
	return nil
}
