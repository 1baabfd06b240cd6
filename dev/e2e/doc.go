// Package e2e proves the provider's promise end to end: a rolling upgrade
// of a gateway cluster behind a real load balancer loses no client request.
//
// The tests (zero_downtime_test.go) start a simulated three-node cluster
// (dev/gwsim), put a real HAProxy process in front of it with the
// configuration shipped in examples/haproxy, send steady client traffic
// through HAProxy and run `terraform apply` of an apigw_rolling_upgrade with
// the real Terraform CLI. The upgrade's before_node_command and
// after_node_command are examples/haproxy/haproxy-node-state.sh, so the
// example users copy is the one that is proven. The same upgrade then runs
// without the hooks, relying on HAProxy's health checks and retries alone,
// and both runs are measured side by side.
//
// The package has no code outside its tests; everything listens on and
// talks to loopback addresses only. Run it with `make e2e`.
package e2e
