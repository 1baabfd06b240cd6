// Package fakeops stands in for the operators' tools that the example
// scripts under examples/ drive: docker, kubectl, ssh and scp as commands
// put first on PATH, and a BIG-IP's iControl REST API as an HTTP server
// (the scripts call it with the real curl). The
// commands record every call and act on a simulated cluster (dev/gwsim)
// through the gwsim command, as the real tools act on real gateways: a fake
// `docker run` starts the node again on the version of its image, a fake
// `kubectl delete pod` brings the pod back from the StatefulSet's template,
// a fake `ssh host sudo systemctl start apigateway` starts the node on the
// fix installed on that host. A script that calls a tool wrongly, in the
// wrong order or not at all then fails the test that runs it.
//
// The commands are the test binary itself, linked under the tools' names:
// a test package calls Main first thing in its TestMain, and Setup writes
// the world the fakes share (World, a JSON file guarded by a file lock, so
// the commands of several nodes may run at once) and the links.
package fakeops
