// Package demo runs the README's first command: a simulated three-node
// cluster under API traffic, upgraded by `terraform apply` of
// examples/demo with the locally built provider, then a per-node summary
// and the traffic's result.
package demo
