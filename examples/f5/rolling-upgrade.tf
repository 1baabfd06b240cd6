# The BIG-IP's part of a rolling upgrade: each node leaves the pool before
# it is quiesced (no new connection, the open ones finish) and comes back
# once it is ready on the new version and the pool's monitor has it up
# again. The nodes, their quiesce ports and upgrade_command are declared as
# in examples/resources/apigw_rolling_upgrade; add the lines below to that
# resource.
variable "nodes" {
  description = "The nodes of apigw_rolling_upgrade, named like the BIG-IP nodes: the script finds the member gw-1:5555 from APIGW_NODE_NAME."
  type        = list(object({ name = string, url = string, quiesce_url = string }))
}

variable "f5_password" {
  description = "Password of the BIG-IP user that may change pool members."
  type        = string
  sensitive   = true
}

resource "apigw_rolling_upgrade" "cluster" {
  target_version  = "10.15.0.7"
  nodes           = var.nodes
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
