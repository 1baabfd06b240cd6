// Package tfharness runs the Terraform CLI against this repository's
// provider as a user's machine does: it builds the provider and the gwsim
// command, writes a CLI configuration whose dev_overrides install the
// built provider (no registry, no terraform init), prepares working
// directories, renders the configurations the harnesses apply, runs
// terraform, and reads /proc to see the processes a run starts.
//
// It is the one harness of the provider's process-level tests, the
// end-to-end tests, the benchmark and the demo. It never ships: nothing in
// the provider binary imports it.
package tfharness
