#!/usr/bin/env bash
# prepare_command for upgrade-systemd.sh: copy the fix image and its Update
# Manager script for the target onto the node while every node still
# serves, so that the node is out of service only while the fix is
# installed. It skips what is there already: every apply runs it again for
# the nodes still to upgrade. FIX_DIR (command_env) holds the files on the
# machine that runs Terraform.
set -euo pipefail
host=$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')
remote="${SSH_USER:-sag}@$host"
dir=/opt/softwareag/fixes
files=("apigw-$APIGW_TARGET_VERSION.zip" "apigw-$APIGW_TARGET_VERSION.script")
for f in "${files[@]}"; do
  if ssh "$remote" test -s "$dir/$f"; then
    echo "$APIGW_NODE_NAME: $f already staged"
    continue
  fi
  scp -q "${FIX_DIR:-./fixes}/$f" "$remote:$dir/$f.part"
  ssh "$remote" mv "$dir/$f.part" "$dir/$f"
  echo "$APIGW_NODE_NAME: staged $f"
done
