# HAProxy's part of a rolling upgrade of the three gateway nodes that
# haproxy.cfg balances: each node leaves HAProxy before it is quiesced and
# comes back once it is ready on the new version, so no client request
# reaches a node that is going away. The nodes, their quiesce ports and
# upgrade_command are declared as in examples/resources/apigw_rolling_upgrade;
# add the lines below to that resource. Terraform runs on the HAProxy host
# here (the admin socket is local); README.md shows how to reach a remote or
# a second HAProxy.
variable "nodes" {
  description = "The nodes of apigw_rolling_upgrade, named like the servers in haproxy.cfg: the script takes the server name from APIGW_NODE_NAME."
  type        = list(object({ name = string, url = string, quiesce_url = string }))
}

resource "apigw_rolling_upgrade" "cluster" {
  target_version  = "10.15.0.7"
  nodes           = var.nodes
  upgrade_command = ["/opt/apigw/bin/upgrade-node.sh"]

  before_node_command = ["${path.module}/haproxy-node-state.sh", "drain"]
  after_node_command  = ["${path.module}/haproxy-node-state.sh", "ready"]

  command_env = {
    HAPROXY_SOCKET  = "/run/haproxy/admin.sock"
    HAPROXY_BACKEND = "be_apigw"
    # Longer than the slowest API call (timeout server in haproxy.cfg).
    HAPROXY_TIMEOUT = "120"
  }
}
