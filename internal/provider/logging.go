package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/gwops/terraform-provider-apigw/internal/rollout"
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

// logMilestone writes one rollout milestone to Terraform's log as one line
// in a stable, human-readable form ("gw-2: drained after 38s; running
// upgrade_command") at INFO, so that TF_LOG_PROVIDER=INFO shows the
// progress of a long apply. The end of a successful command's output comes
// first, one INFO line per line of output ("gw-2: upgrade_command output:
// ..."), so that every line of the log stands on its own. A failed
// notify_command is a WARN line. Events never hold secrets (the engine
// redacts them).
func logMilestone(ctx context.Context, ev rollout.Event) {
	fields := map[string]any{"event": string(ev.Kind), "elapsed_seconds": seconds(ev.Elapsed)}
	if ev.Node != "" {
		fields["node"] = ev.Node
	}
	if ev.Output != "" {
		for _, line := range strings.Split(ev.Output, "\n") {
			tflog.Info(ctx, fmt.Sprintf("%s: %s output: %s", ev.Node, ev.Command, line),
				map[string]any{"event": commandOutputEvent, "node": ev.Node, "command": ev.Command})
		}
	}
	if ev.Kind == rollout.EventNotifyFailed {
		tflog.Warn(ctx, ev.String(), fields)
		return
	}
	tflog.Info(ctx, ev.String(), fields)
}

// commandOutputEvent is the event field of the log lines that show a
// command's output.
const commandOutputEvent = "command_output"

// notifyFailures is the detail of the warning about notify_command.
func notifyFailures(failures []string) string {
	const shown = 10
	var b strings.Builder
	fmt.Fprintf(&b, "notify_command failed or was not run for %d milestones; the rollout itself was not affected. Check the command by running it by hand "+
		"with APIGW_EVENT and APIGW_EVENT_MESSAGE set.\n", len(failures))
	for i, f := range failures {
		if i == shown {
			fmt.Fprintf(&b, "  - and %d more (see the provider's log)\n", len(failures)-shown)
			break
		}
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	return b.String()
}

// kindNames lists event kinds as their names.
func kindNames(kinds []rollout.EventKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// formatSeconds prints a whole-second duration as users write it ("30s").
func formatSeconds(d time.Duration) string { return fmt.Sprintf("%ds", int(d/time.Second)) }
