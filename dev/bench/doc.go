// Package bench measures the provider against the simulated gateway on
// loopback and prints figures: rollout overhead against the physical limit,
// plan time, the provider process's footprint and the load the engine puts
// on the nodes. It prints; it never fails on a slow machine, because the
// figures depend on the machine and the team reads them, not a threshold.
// dev/cmd/apigw-bench (make bench) is its command line.
package bench
