#!/usr/bin/env bash
# Upgrade one quiesced API Gateway node installed as a systemd service:
# stop it, apply the fix with the Update Manager image prepared beforehand,
# start it. The provider then waits until the node is ready on the target.
set -euo pipefail
host=$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')
echo "upgrading $APIGW_NODE_NAME ($host) from $APIGW_FROM_VERSION to $APIGW_TARGET_VERSION"
ssh "${SSH_USER:-sag}@$host" sudo systemctl stop apigateway
ssh "${SSH_USER:-sag}@$host" sudo /opt/softwareag/SAGUpdateManager/bin/UpdateManagerCMD.sh \
  -readScript "/opt/softwareag/fixes/apigw-$APIGW_TARGET_VERSION.script"
ssh "${SSH_USER:-sag}@$host" sudo systemctl start apigateway
