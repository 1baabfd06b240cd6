locals {
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

# Rolls the cluster to 10.15 Fix 7, one node at a time. The upgrade command
# runs on the machine that runs Terraform, once per node, with
# APIGW_NODE_NAME, APIGW_NODE_URL, APIGW_TARGET_VERSION, ... in its
# environment (see upgrade-systemd.sh and upgrade-docker.sh, or
# upgrade-windows.ps1 when Terraform and the nodes run on Windows:
# upgrade_command = ["powershell.exe", "-NoProfile", "-NonInteractive",
# "-ExecutionPolicy", "Bypass", "-File", "${path.module}/upgrade-windows.ps1"]).
resource "apigw_rolling_upgrade" "cluster" {
  target_version = "10.15.0.7"

  nodes = [for name, url in local.gateways : {
    name        = name
    url         = url
    quiesce_url = apigw_quiesce_port.this[name].quiesce_url
  }]

  upgrade_command  = ["${path.module}/upgrade-systemd.sh"]
  rollback_command = ["${path.module}/rollback-systemd.sh"]

  # Copies the fix onto every node still to upgrade, 4 at a time, before the
  # first node is quiesced: each node is then out of service only while the
  # fix is installed. A failure stops the apply with no node touched.
  prepare_command     = ["${path.module}/stage-fix-systemd.sh"]
  prepare_parallelism = 4

  # Posts every milestone (node started, drained, upgraded, failed, rolled
  # back; rollout finished) to a chat channel. Its failures only warn.
  # notify_command     = ["${path.module}/notify-chat.sh"]
  # command_secret_env = { CHAT_WEBHOOK_URL = var.chat_webhook_url }

  # To take each node out of the load balancer while it is upgraded, add
  # before_node_command and after_node_command: examples/haproxy has a
  # complete configuration with a script for HAProxy's runtime API.

  # Plain settings, shown in plans. The scripts log in with the keys of an
  # ssh-agent on the machine that runs Terraform (SSH_AUTH_SOCK is inherited).
  command_env = {
    SSH_USER = "sag"
    FIX_DIR  = "${path.module}/fixes"
    # Only when a node's SSH host is not the host of its URL:
    # SSH_HOSTS = "gw-1=gw-1.mgmt.example.internal gw-2=gw-2.mgmt.example.internal"
  }

  # Secrets a command must be handed (a registry token, say) go in
  # command_secret_env instead: hidden in plans, redacted from errors and
  # logs, but stored in state like every sensitive attribute.
  # command_secret_env = { REGISTRY_TOKEN = var.registry_token }

  # If serverinfo's version does not show the fix level on your gateways
  # (data source apigw_node reads version = "10.15.0.0.<build>" while fixes
  # lists a fix), read the version another way; version-from-fixes.sh takes
  # it from the fixes serverinfo lists.
  # version_command    = ["${path.module}/version-from-fixes.sh"]
  # command_secret_env = { GW_PASSWORD = var.gateway_password }

  # Each step is bounded by its own timeout. Without a timeouts block the
  # deadline of one apply follows from them: for the three nodes here
  # prepare 1 x 30m (4 at a time) + 3 x (ready 20m + 1m)
  # + 3 x (drain 15m + command 30m + ready 20m + soak 2m) = 4h54m.
  # A shorter timeouts value gets a warning at plan time.
  drain_timeout   = "15m"
  command_timeout = "30m"
  ready_timeout   = "20m"
  soak_duration   = "2m"

  # Ctrl-C or a cancelled run: the node in flight finishes its upgrade, no
  # new node starts, and the next apply resumes (the default).
  on_interrupt = "finish_node"

  # Uncomment for a canary: the first apply upgrades one node and ends;
  # check it, then remove the line and apply again for the rest.
  # max_nodes_per_apply = 1
}

output "node_versions" {
  value = apigw_rolling_upgrade.cluster.node_versions
}
