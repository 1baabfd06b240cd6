package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// tflogLogger forwards the API client's request log lines to Terraform's
// log (TF_LOG). The client never hands it credentials.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

// uncollectedLogSettings are the provider-side log levels of the SDK
// (terraform-plugin-go, its protocol subsystem, terraform-plugin-framework)
// and of this provider's own logger.
var uncollectedLogSettings = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_APIGW"}

// SilenceUncollectedLogs turns the provider's logs off when Terraform will
// drop them. Terraform (and OpenTofu) keep a provider's log lines only when
// TF_LOG or TF_LOG_PROVIDER is set; otherwise every line is still built,
// encoded, sent over the plugin's stderr, parsed by Terraform and thrown
// away. The framework writes several lines per attribute value, so on a
// 200-node cluster that was most of the CPU of a plan, in both processes
// (make bench, plan section). A level the user set is kept. It returns the
// variables it set, for New: commands the provider runs do not inherit them.
func SilenceUncollectedLogs(lookup func(string) (string, bool), set func(key, value string) error) ([]string, error) {
	for _, collected := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if v, ok := lookup(collected); ok && v != "" {
			return nil, nil
		}
	}
	var done []string
	for _, k := range uncollectedLogSettings {
		if _, ok := lookup(k); ok {
			continue
		}
		if err := set(k, "off"); err != nil {
			return done, fmt.Errorf("turning off uncollected provider logs: setting %s: %w", k, err)
		}
		done = append(done, k)
	}
	return done, nil
}
