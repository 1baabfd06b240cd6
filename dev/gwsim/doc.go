// Package gwsim simulates a cluster of webMethods API Gateway nodes closely
// enough to exercise a zero-downtime rolling upgrade end to end.
//
// Each node listens on a real loopback port (the primary port: admin REST and
// runtime traffic) and opens further real listeners for every port created and
// enabled through the ports API, so a quiesce port behaves like the vendor's:
// it answers health 200 while the node quiesces and something else once the
// node is done. Node lifecycles (quiesce, shutdown, crash, restart on a new
// fix level) follow the vendor's documented REST behaviour, the surface
// package apigw calls (see its package documentation and ARCHITECTURE.md at
// the repository's root), including the vendor quirks a client must tolerate (numbers and booleans as strings, error bodies with a
// leading space, 201 on port creation, 400 for an unknown listener key).
// Options.Variants switch to the other documented answer where the vendor's
// material disagrees.
//
// With Options.TLS the primary ports speak HTTPS; a created port speaks TLS
// only when it is a webMethods/HTTPS port, so the tutorial's quiesce port
// (webMethods/HTTP) is plain HTTP on every node, as on a real gateway.
//
// Tests drive the simulator in-process through Start and the Cluster and Node
// methods; scripts and other processes drive it through the control API
// (plain HTTP JSON, see ControlURL) or the gwsim command. Everything that
// matters for judging a rollout is recorded: a timeline of events, the number
// of nodes out of service at once, and a shared data store that receives the
// metrics a node flushes when it is quiesced properly (and not the ones lost
// when it is stopped without that).
//
// Behaviour where the vendor material leaves room, chosen here:
//
//   - Quiesce for all: the PUT answers at once. Ports stay open and traffic
//     is served (and counted) while the node drains; after DrainTime, and
//     once no request runs, every listener but the quiesce port closes
//     (requests admitted meanwhile finish), the chosen metrics are flushed
//     and the package is disabled: health on the quiesce port then answers
//     503 (Variants.QuiescedHealthStatus) and every /rest/apigateway call
//     there answers 503, while /invoke services still work. GET quiescemode
//     reports "in progress" until then. A quiesce-for-all request counts as
//     in flight from its arrival until its answer (the node has entered the
//     mode then); one that arrives while another node's is in flight is an
//     overlap, which the vendor asks clients to avoid: it is counted
//     (QuiesceOverlaps, event quiesce_overlap) and, with
//     Options.SerialQuiesce, refused with 500 before any work.
//   - Health on the primary port: 200 when ready or quiescing, 500 while
//     starting, no answer when down. Admin calls work while starting.
//     Faults play what a client cannot tell from "down" by itself: a node
//     that accepts connections and never answers (Unresponsive), a red data
//     store that turns health 500 on a node that is up (HealthRed), and one
//     that passes through red in the middle of a drain (QuiescingHealth500).
//     Health needs no credentials, but wrong ones are refused (401);
//     Variants.HealthNeedsCredentials refuses every health request without
//     valid ones, on any port and in any state, as the 10.15 monitoring page
//     reads.
//   - Shutdown and Restart do not flush metrics (except shutdown with
//     "quiesce": true); Stop is a crash. Lost metrics are counted per node.
//   - Serverinfo's version shows the fix level in its fourth segment
//     ("10.15.0.7.1234"); Variants.VersionWithoutFix reports X.Y.0.0.<build>
//     whatever fix is installed, as the vendor's one real sample reads, with
//     the fix level only in patch_nums. The licence's product version is the
//     release either way.
//   - Shutdown with option drain waits for client sessions, up to its
//     timeout (in minutes of Options.ShutdownMinute). A session is an open
//     client connection: one with a request running, or a keep-alive
//     connection its client has not closed (an admin client's pooled
//     connection too). Meanwhile the ports stay open, runtime traffic is
//     refused, health answers 503 and every answer carries Connection:
//     close; once no session is left, or the timeout has passed, the node
//     stops (cutting what still runs). A restart (what an upgrade command
//     does) waits for running requests only.
//   - A created port is disabled until enabled; deleting needs a disabled
//     port; the quiesce port can be neither disabled nor deleted while the
//     node quiesces or is quiesced.
//   - A new port is in access mode allow. POST .../ports/{listenerKey}/accessMode
//     sets allow or deny; deny answers 403 to every request on the port (no
//     per-service lists are kept). PUT /ports takes the port object as GET
//     shows it and changes "suspended" (any other modelled field that
//     differs is refused with the call that changes it); a suspended port
//     refuses connections until resumed, also across restarts. Quiesce for
//     all answers the vendor's 500 unless the quiesce port is set, enabled,
//     not suspended and in access mode allow.
//
// Where the simulator is still knowingly more lenient than the vendor
// documents:
//
//   - An HTTPS port (factoryKey webMethods/HTTPS) needs a keystore and a key
//     alias on a real gateway; the ports Swagger has no fields for them, so
//     the simulator takes the cluster's Options.TLS as the keystore and
//     refuses HTTPS ports only when the cluster has none.
//   - A drain shutdown's client sessions are the open client connections.
//     An Integration Server session may outlive its connection (until the
//     server's session timeout), so a real gateway may wait its whole drain
//     timeout for sessions that have no connection any more, the provider's
//     own admin calls included; the provider waits that long (and more) in
//     any case, but the simulator's drains end sooner than such a gateway's.
package gwsim
