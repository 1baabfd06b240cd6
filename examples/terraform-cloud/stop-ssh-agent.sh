#!/usr/bin/env bash
# HCP Terraform / Terraform Enterprise agent hook: stop the ssh-agent that
# start-ssh-agent.sh started for this run, so the key does not outlive it.
# Install on the agent as ~/.tfc-agent/hooks/terraform-post-plan and
# ~/.tfc-agent/hooks/terraform-post-apply, next to start-ssh-agent.sh (which
# calls it too, to end an agent a force-cancelled run left behind).
set -euo pipefail

dir=${APIGW_SSH_AGENT_DIR:-${TMPDIR:-/tmp}/apigw-ssh-agent}
if [[ -f $dir/agent.pid ]]; then
  SSH_AGENT_PID=$(cat "$dir/agent.pid") ssh-agent -k >/dev/null 2>&1 || true
fi
rm -f "$dir/agent.pid" "$dir"/agent-*.sock
