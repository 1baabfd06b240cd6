#!/usr/bin/env bash
# prepare_command for upgrade-docker.sh: pull the image with the fix while
# every node still serves, so that upgrade-docker.sh's own pull finds it
# and the node is out of service only while its container is replaced.
set -euo pipefail
docker pull --quiet "registry.example.internal/apigateway:$APIGW_TARGET_VERSION"
