#!/usr/bin/env bash
# Docker set-ups can't patch a container: replace it with a new container
# from an image already built with the fix. IS settings that are not in the
# data store and custom packages must be part of that image.
set -euo pipefail
name="apigateway-$APIGW_NODE_NAME"
image="registry.example.internal/apigateway:$APIGW_TARGET_VERSION"
docker pull "$image" # quick when prepare_command (pull-image-docker.sh) pulled it already
docker stop --time 60 "$name"
docker rename "$name" "$name-$APIGW_FROM_VERSION"
docker run -d --name "$name" --network apigw --hostname "$APIGW_NODE_NAME" \
  -p 5555:5555 -p 4444:4444 -p 9072:9072 \
  -v "/srv/apigw/$APIGW_NODE_NAME/config:/opt/softwareag/IntegrationServer/instances/default/config/custom" \
  "$image"
