# A rolling upgrade of the three gateway nodes that haproxy.cfg balances.
# Each node leaves HAProxy before it is quiesced and comes back once it is
# ready on the new version, so no client request reaches a node that is
# going away. Terraform runs on the HAProxy host here (the admin socket is
# local); README.md shows how to reach a remote or a second HAProxy.
locals {
  # Keys are the node names: the same names as the servers in haproxy.cfg.
  gateways = {
    gw-1 = "http://gw-1.example.internal:5555"
    gw-2 = "http://gw-2.example.internal:5555"
    gw-3 = "http://gw-3.example.internal:5555"
  }
}

resource "apigw_quiesce_port" "this" {
  for_each = local.gateways
  node_url = each.value
  port     = 4444
}

resource "apigw_rolling_upgrade" "cluster" {
  target_version = "10.15.0.7"

  nodes = [for name, url in local.gateways : {
    name        = name
    url         = url
    quiesce_url = apigw_quiesce_port.this[name].quiesce_url
  }]

  # Applies the fix and starts the node; see
  # examples/resources/apigw_rolling_upgrade for systemd and Docker versions.
  upgrade_command = ["/opt/apigw/bin/upgrade-node.sh"]

  # The script takes the server name from APIGW_NODE_NAME.
  before_node_command = ["${path.module}/haproxy-node-state.sh", "drain"]
  after_node_command  = ["${path.module}/haproxy-node-state.sh", "ready"]

  command_env = {
    HAPROXY_SOCKET  = "/run/haproxy/admin.sock"
    HAPROXY_BACKEND = "be_apigw"
    # Longer than the slowest API call (timeout server in haproxy.cfg).
    HAPROXY_TIMEOUT = "120"
  }
}
