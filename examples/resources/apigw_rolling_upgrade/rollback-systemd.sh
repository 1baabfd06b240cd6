#!/usr/bin/env bash
# Bring a node whose upgrade failed back on its old version: uninstall the
# fix (with the uninstall script stage-fix-systemd.sh copied onto the node)
# and restart. Quiesce mode for all is lifted only by a restart, so this
# also brings back a node that failed before the fix was installed.
set -euo pipefail
host=$(tr ' ' '\n' <<<"${SSH_HOSTS:-}" | sed -n "s/^$APIGW_NODE_NAME=//p")
host=${host:-$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')}
ssh "${SSH_USER:-sag}@$host" sudo systemctl stop apigateway || true
ssh "${SSH_USER:-sag}@$host" sudo /opt/softwareag/SAGUpdateManager/bin/UpdateManagerCMD.sh \
  -readScript "/opt/softwareag/fixes/uninstall-apigw-$APIGW_TARGET_VERSION.script"
ssh "${SSH_USER:-sag}@$host" sudo systemctl start apigateway
