// Package rollout is the rolling-upgrade engine behind apigw_rolling_upgrade.
//
// It brings every node of a webMethods API Gateway cluster to a target fix
// level, max_unavailable nodes at a time, following the vendor's zero-downtime
// procedure: quiesce a node for all (or drain-shut it down), wait until it has
// drained, run the user's upgrade command, wait until it is ready on the
// target, soak, and go on. It knows neither Terraform nor HTTP: it reaches the
// gateways through the Gateway interface and runs commands through Runner, so
// it can be tested with fakes and reused by the resource's Create and Update.
//
// The engine is built to be re-run: nodes already on target are skipped and a
// node left quiesced or down by an earlier run is finished first, so an
// interrupted apply resumes where it stopped.
//
// Before the first node is taken out of service, prepare_command stages the
// fix on every node still to upgrade (prepare.go). Every milestone is an
// Event that reads as one progress line (progress.go); notify_command hears
// of the ones users subscribe to without ever holding the rollout up
// (notify.go).
//
// For callers:
//   - Config.Validate names Terraform attributes (see AttrErrors);
//     CheckVersions and Survey serve plan time and Read.
//   - Engine.Run always returns a Report. Report.Results maps one to one onto
//     last_rollout (skipped nodes first, then nodes in the order they
//     started); Report.Versions onto node_versions, where "" means the version
//     is unknown now (the node is down).
//   - Run's error is a config or version refusal (nothing was touched), a
//     *StepError, or several *StepError joined when nodes in flight together
//     failed together. Its text is meant for the user as it is.
package rollout
