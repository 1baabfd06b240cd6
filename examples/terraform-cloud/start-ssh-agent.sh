#!/usr/bin/env bash
# HCP Terraform / Terraform Enterprise agent hook: load the SSH key that the
# upgrade scripts log in with into an ssh-agent for this run only, and hand
# the agent's socket to Terraform, whose commands inherit SSH_AUTH_SOCK.
# The key stays on the agent (a mounted secret, say): it never passes
# through the configuration, a variable, the state or a plan.
#
# Install it and stop-ssh-agent.sh in the agent's ~/.tfc-agent/hooks, and
# link terraform-pre-plan and terraform-pre-apply there to this script,
# terraform-post-plan and terraform-post-apply to stop-ssh-agent.sh.
#
# Environment of the agent:
#   APIGW_SSH_KEY_FILE      the private key (default /etc/apigw-ssh/id_ed25519)
#   APIGW_SSH_AGENT_DIR     where the agent's socket lives (default
#                           $TMPDIR/apigw-ssh-agent; keep the path short)
#   APIGW_SSH_KEY_LIFETIME  how long the agent keeps the key at most, in
#                           ssh-agent's time format (default 12h); longer than
#                           the longest apply
#   TFC_AGENT_ENV           set by the agent: the file whose KEY=value lines
#                           become Terraform's environment for this operation
set -euo pipefail

key=${APIGW_SSH_KEY_FILE:-/etc/apigw-ssh/id_ed25519}
dir=${APIGW_SSH_AGENT_DIR:-${TMPDIR:-/tmp}/apigw-ssh-agent}
env_file=${TFC_AGENT_ENV:?run this as an HCP Terraform agent hook, which sets TFC_AGENT_ENV}
[[ -r $key ]] || {
  echo "${0##*/}: no readable SSH key at $key: set APIGW_SSH_KEY_FILE on the agent" >&2
  exit 1
}
mkdir -p "$dir"
chmod 700 "$dir"

# An earlier run that was force-cancelled left its agent behind: end it.
"$(dirname "$0")/stop-ssh-agent.sh"

# A socket of its own for every run: an agent that was just stopped may
# still be removing its socket.
eval "$(ssh-agent -s -a "$dir/agent-$$.sock" -t "${APIGW_SSH_KEY_LIFETIME:-12h}")" >/dev/null
echo "$SSH_AGENT_PID" >"$dir/agent.pid"
ssh-add -q "$key"
echo "SSH_AUTH_SOCK=$SSH_AUTH_SOCK" >>"$env_file"
echo "${0##*/}: ssh-agent holds $(ssh-add -l | wc -l) key(s) for this run"
