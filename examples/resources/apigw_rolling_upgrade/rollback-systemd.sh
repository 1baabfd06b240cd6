#!/usr/bin/env bash
# Bring a node whose upgrade failed back on its old version: uninstall the
# fix and restart (quiesce mode for all is lifted only by a restart).
set -euo pipefail
host=$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')
ssh "${SSH_USER:-sag}@$host" sudo systemctl stop apigateway || true
ssh "${SSH_USER:-sag}@$host" sudo /opt/softwareag/SAGUpdateManager/bin/UpdateManagerCMD.sh \
  -readScript "/opt/softwareag/fixes/uninstall-apigw-$APIGW_TARGET_VERSION.script"
ssh "${SSH_USER:-sag}@$host" sudo systemctl start apigateway
