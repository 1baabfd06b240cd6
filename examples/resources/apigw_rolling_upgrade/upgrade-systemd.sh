#!/usr/bin/env bash
# Upgrade one quiesced API Gateway node installed as a systemd service:
# stop it, apply the fix with the Update Manager script that
# stage-fix-systemd.sh (prepare_command) copied onto it, start it. The
# provider then waits until the node is ready on the target. Every step may
# run again: on a resumed apply the node may be stopped already, the fix
# installed already, and APIGW_FROM_VERSION is empty.
#
# The node's SSH host is its entry in SSH_HOSTS (command_env, "NODE=HOST
# ...") or else the host of its URL; SSH_USER defaults to sag.
set -euo pipefail
host=$(tr ' ' '\n' <<<"${SSH_HOSTS:-}" | sed -n "s/^$APIGW_NODE_NAME=//p")
host=${host:-$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')}
echo "upgrading $APIGW_NODE_NAME ($host) from ${APIGW_FROM_VERSION:-an unknown version} to $APIGW_TARGET_VERSION"
ssh "${SSH_USER:-sag}@$host" sudo systemctl stop apigateway
ssh "${SSH_USER:-sag}@$host" sudo /opt/softwareag/SAGUpdateManager/bin/UpdateManagerCMD.sh \
  -readScript "/opt/softwareag/fixes/apigw-$APIGW_TARGET_VERSION.script"
ssh "${SSH_USER:-sag}@$host" sudo systemctl start apigateway
