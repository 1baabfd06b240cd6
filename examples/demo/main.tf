# The configuration `make demo` applies to a simulated three-node cluster.
# It is the tutorial end to end: a quiesce port on every node, then a
# rolling upgrade that quiesces, upgrades and re-admits one node at a time.

terraform {
  required_providers {
    apigw = {
      source = "gwops/apigw"
    }
  }
}

variable "nodes" {
  description = "The cluster's nodes, in upgrade order."
  type = list(object({
    name         = string
    url          = string
    quiesce_port = number
  }))
}

variable "target_version" {
  description = "Version every node must reach."
  type        = string
  default     = "10.15.0.7"
}

# Credentials come from APIGW_USERNAME and APIGW_PASSWORD.
provider "apigw" {}

resource "apigw_quiesce_port" "node" {
  count    = length(var.nodes)
  node_url = var.nodes[count.index].url
  port     = var.nodes[count.index].quiesce_port
}

resource "apigw_rolling_upgrade" "cluster" {
  target_version = var.target_version

  nodes = [for i, n in var.nodes : {
    name        = n.name
    url         = n.url
    quiesce_url = apigw_quiesce_port.node[i].quiesce_url
  }]

  # Stop the node, apply the fix, start it: here the simulator's stand-in.
  upgrade_command = ["${path.module}/upgrade.sh"]
  poll_interval   = "200ms"
}

output "node_versions" {
  value = apigw_rolling_upgrade.cluster.node_versions
}

output "last_rollout" {
  value = apigw_rolling_upgrade.cluster.last_rollout
}
