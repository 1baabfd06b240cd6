// Package apigw is a small client for the parts of the webMethods API Gateway
// REST surface that a rolling upgrade touches: ports, the quiesce port, quiesce
// mode, health, server info and shutdown.
//
// It speaks HTTP and JSON only and knows nothing about Terraform. Every method
// takes the base URL of the node it talks to, because a cluster has no endpoint
// that lists its members: the caller owns the node list.
//
// The gateway is loose with types (booleans and numbers often arrive as
// strings) and with error bodies, so decoding here is deliberately lenient,
// while what the client sends follows the vendor's documented shapes exactly.
package apigw
