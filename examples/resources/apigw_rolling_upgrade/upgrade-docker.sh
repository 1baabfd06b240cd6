#!/usr/bin/env bash
# upgrade-docker.sh: upgrade an API Gateway node that runs in Docker. A
# container is not patched: it is replaced by a new container from an image
# that already has the fix. IS settings that are not in the data store, and
# custom packages, must be part of that image or mounted into it.
#
# Usage, one action per command of apigw_rolling_upgrade:
#   upgrade-docker.sh prepare    prepare_command: pull the new image on the
#                                node's Docker host while every node serves
#   upgrade-docker.sh upgrade    upgrade_command: stop the node's container,
#                                keep it as <name>-previous, start a new one
#                                from the image pulled by prepare
#   upgrade-docker.sh rollback   rollback_command: remove the new container
#                                and start the previous one again
#
# Every action can run again after an interrupted apply: on a resumed run
# APIGW_FROM_VERSION is empty and the old container may be renamed or gone,
# so the script looks at the containers, not at the versions.
#
# Environment (command_env unless said otherwise):
#   IMAGE_REPOSITORY  the image without its tag (default
#                     registry.example.internal/apigateway); the tag is
#                     APIGW_TARGET_VERSION
#   DOCKER_HOSTS      the Docker host of every node, "NODE=DOCKER_HOST ..."
#                     (e.g. "gw-1=ssh://sag@docker-1 gw-2=ssh://sag@docker-2");
#                     without it, ssh://$SSH_USER@<host of APIGW_NODE_URL>
#   SSH_USER          user for the default Docker host (default sag)
#   STOP_TIMEOUT      seconds docker stop lets the node end (default 60)
#   REGISTRY_USER, REGISTRY_TOKEN (command_secret_env)
#                     when set, prepare logs in to the registry first
set -euo pipefail

action=${1:-upgrade}
node=${APIGW_NODE_NAME:?the provider sets APIGW_NODE_NAME}
target=${APIGW_TARGET_VERSION:?the provider sets APIGW_TARGET_VERSION}
repository=${IMAGE_REPOSITORY:-registry.example.internal/apigateway}
image="$repository:$target"
name="apigateway-$node"
previous="$name-previous"

log() { echo "$node: $*"; }
die() {
  echo "$node: $*" >&2
  exit 1
}

# The node's Docker host: its DOCKER_HOSTS entry, or SSH to the host of its
# URL. A DOCKER_HOSTS without the node is an error, not a guess.
docker_host=""
if [[ -n ${DOCKER_HOSTS:-} ]]; then
  for pair in $DOCKER_HOSTS; do
    [[ ${pair%%=*} == "$node" ]] && docker_host=${pair#*=}
  done
  [[ -n $docker_host ]] || die "DOCKER_HOSTS has no entry for $node: add \"$node=<docker host>\""
else
  url_host=$(printf '%s' "${APIGW_NODE_URL:?}" | sed -E 's#^[a-z]+://([^:/]+).*#\1#')
  docker_host="ssh://${SSH_USER:-sag}@$url_host"
fi
export DOCKER_HOST=$docker_host

exists() { docker container inspect --format '{{.Name}}' "$1" >/dev/null 2>&1; }
image_of() { docker container inspect --format '{{.Config.Image}}' "$1"; }

prepare() {
  if [[ -n ${REGISTRY_TOKEN:-} ]]; then
    printf '%s\n' "$REGISTRY_TOKEN" |
      docker login --username "${REGISTRY_USER:?set REGISTRY_USER with REGISTRY_TOKEN}" --password-stdin "${repository%%/*}"
  fi
  log "pulling $image on $DOCKER_HOST"
  docker pull "$image"
}

upgrade() {
  log "upgrading from ${APIGW_FROM_VERSION:-an unknown version (resumed run)} to $target on $DOCKER_HOST"
  if exists "$name" && [[ $(image_of "$name") == "$image" ]]; then
    # An earlier run started the new container already: make sure it runs.
    log "$name already runs $image"
    docker start "$name"
    return
  fi
  docker image inspect "$image" >/dev/null 2>&1 ||
    die "$image is not on $DOCKER_HOST: prepare_command pulls it before any node is taken out of service; run 'upgrade-docker.sh prepare' for this node or pull it by hand"
  if exists "$name"; then
    docker stop --time "${STOP_TIMEOUT:-60}" "$name"
    # Keep the container being replaced for a rollback; one from an older
    # upgrade goes.
    if exists "$previous"; then docker rm "$previous"; fi
    docker rename "$name" "$previous"
  fi
  # --pull never: the image is on the host since prepare; a pull now would
  # lengthen the time the node is out of service.
  docker run -d --pull never --name "$name" --network apigw --hostname "$node" \
    -p 5555:5555 -p 4444:4444 -p 9072:9072 \
    -v "/srv/apigw/$node/config:/opt/softwareag/IntegrationServer/instances/default/config/custom" \
    "$image"
}

rollback() {
  if exists "$previous"; then
    log "going back to the previous container ($(image_of "$previous"))"
    if exists "$name"; then docker rm --force "$name"; fi
    docker rename "$previous" "$name"
    docker start "$name"
  elif exists "$name" && [[ $(image_of "$name") != "$image" ]]; then
    # Not replaced yet: the old container is quiesced or stopped, and a
    # restart brings it back into service.
    log "restarting $name ($(image_of "$name")), which was not replaced"
    docker restart "$name"
  else
    die "no container to go back to on $DOCKER_HOST: $previous does not exist; start the old image by hand"
  fi
}

case $action in
  prepare) prepare ;;
  upgrade) upgrade ;;
  rollback) rollback ;;
  *)
    echo "usage: ${0##*/} prepare|upgrade|rollback" >&2
    exit 2
    ;;
esac
