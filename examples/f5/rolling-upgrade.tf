# A rolling upgrade of three gateway nodes behind a BIG-IP pool. Each node
# leaves the pool before it is quiesced (no new connection, the open ones
# finish) and comes back once it is ready on the new version and the pool's
# monitor has it up again.
variable "f5_password" {
  description = "Password of the BIG-IP user that may change pool members."
  type        = string
  sensitive   = true
}

locals {
  # Keys are the node names: the same names as the BIG-IP nodes, so the
  # script finds the member gw-1:5555 from APIGW_NODE_NAME.
  gateways = {
    gw-1 = "https://gw-1.example.internal:5555"
    gw-2 = "https://gw-2.example.internal:5555"
    gw-3 = "https://gw-3.example.internal:5555"
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

  before_node_command = ["${path.module}/f5-pool-member.sh", "drain"]
  after_node_command  = ["${path.module}/f5-pool-member.sh", "ready"]

  command_env = {
    F5_URL         = "https://bigip-1.example.internal"
    F5_USER        = "apigw-upgrade"
    F5_POOL        = "pool_apigw"
    F5_MEMBER_PORT = "5555"
    # Longer than the longest client connection; shorter than command_timeout.
    F5_TIMEOUT = "300"
  }
  command_secret_env = {
    F5_PASSWORD = var.f5_password
  }
}
