#!/usr/bin/env bash
# prepare_command for upgrade-systemd.sh: copy the fix image and the Update
# Manager scripts that install and uninstall it (the latter for
# rollback-systemd.sh) onto the node while every node still serves, so
# that the node is out of service only while the fix is installed. It
# skips what is there already: every apply runs it again for the nodes
# still to upgrade. FIX_DIR (command_env) holds the files on the machine
# that runs Terraform; SSH_HOSTS and SSH_USER as for upgrade-systemd.sh.
set -euo pipefail
host=$(tr ' ' '\n' <<<"${SSH_HOSTS:-}" | sed -n "s/^$APIGW_NODE_NAME=//p")
host=${host:-$(printf '%s' "$APIGW_NODE_URL" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')}
remote="${SSH_USER:-sag}@$host"
dir=/opt/softwareag/fixes
files=("apigw-$APIGW_TARGET_VERSION.zip" "apigw-$APIGW_TARGET_VERSION.script" "uninstall-apigw-$APIGW_TARGET_VERSION.script")
# The remote commands are built here, with paths free of spaces.
# shellcheck disable=SC2029
for f in "${files[@]}"; do
  if ssh "$remote" test -s "$dir/$f"; then
    echo "$APIGW_NODE_NAME: $f already staged"
    continue
  fi
  scp -q "${FIX_DIR:-./fixes}/$f" "$remote:$dir/$f.part"
  ssh "$remote" mv "$dir/$f.part" "$dir/$f"
  echo "$APIGW_NODE_NAME: staged $f"
done
