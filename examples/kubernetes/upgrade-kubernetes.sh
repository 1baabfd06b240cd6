#!/usr/bin/env bash
# upgrade-kubernetes.sh: upgrade API Gateway nodes that are the pods of a
# StatefulSet with updateStrategy OnDelete (statefulset.yaml). The node
# names given to apigw_rolling_upgrade are the pod names (<statefulset>-<n>).
#
# Usage:
#   upgrade-kubernetes.sh check     prepare_command: refuse, before any node
#                                   is touched, a StatefulSet whose pods would
#                                   not wait for their turn, or a missing pod
#   upgrade-kubernetes.sh upgrade   upgrade_command: set the new image in the
#                                   pod template and delete this one pod; the
#                                   StatefulSet controller starts it again
#                                   from the new image, and the provider
#                                   waits until it is ready (ready_timeout)
#
# The upgrade can run again on a resumed apply (APIGW_FROM_VERSION is then
# empty): setting the same image changes nothing, and a pod that runs the
# new image already is not deleted again.
#
# Environment (command_env):
#   KUBE_NAMESPACE    namespace (default apigw)
#   STATEFULSET       the StatefulSet (default apigateway)
#   CONTAINER         the gateway container in the pod template (default
#                     apigateway)
#   IMAGE_REPOSITORY  the image without its tag (default
#                     registry.example.internal/apigateway); the tag is
#                     APIGW_TARGET_VERSION
#   DELETE_TIMEOUT    how long kubectl waits for the old pod to go (default
#                     5m; within the pod's terminationGracePeriodSeconds)
# kubectl finds its cluster as usual (KUBECONFIG, in-cluster service account).
# Needs bash, kubectl and jq.
set -euo pipefail

action=${1:-upgrade}
pod=${APIGW_NODE_NAME:?the provider sets APIGW_NODE_NAME}
ns=${KUBE_NAMESPACE:-apigw}
sts=${STATEFULSET:-apigateway}
container=${CONTAINER:-apigateway}
image="${IMAGE_REPOSITORY:-registry.example.internal/apigateway}:${APIGW_TARGET_VERSION:?}"

die() {
  echo "$pod: $*" >&2
  exit 1
}
kc() { kubectl --namespace "$ns" "$@"; }

[[ $pod =~ ^$sts-[0-9]+$ ]] ||
  die "the node name must be the name of a pod of statefulset $sts (<statefulset>-<ordinal>), not '$pod'"

check() {
  local strategy
  strategy=$(kc get statefulset "$sts" -o json | jq -r '.spec.updateStrategy.type // "RollingUpdate"')
  [[ $strategy == OnDelete ]] ||
    die "statefulset $sts has updateStrategy $strategy: a new image would replace every pod at once, none of them quiesced; set spec.updateStrategy.type to OnDelete"
  kc get pod "$pod" -o json >/dev/null
}

# pod_image prints the image the pod's gateway container runs, nothing when
# the pod does not exist right now (the controller is creating it).
pod_image() {
  kc get pod "$pod" --ignore-not-found -o json |
    jq -r --arg c "$container" '.spec.containers[]? | select(.name == $c) | .image'
}

upgrade() {
  check
  echo "$pod: upgrading from ${APIGW_FROM_VERSION:-an unknown version (resumed run)} to $image"
  # New pods start from the new image from now on; for the next node this
  # changes nothing.
  kc set image "statefulset/$sts" "$container=$image"
  local current
  current=$(pod_image)
  if [[ -z $current ]]; then
    echo "$pod: the pod is being created from the new template"
  elif [[ $current == "$image" ]]; then
    echo "$pod: the pod runs $image already"
  else
    kc delete pod "$pod" --wait=true --timeout "${DELETE_TIMEOUT:-5m}"
  fi
}

case $action in
  check) check ;;
  upgrade) upgrade ;;
  *)
    echo "usage: ${0##*/} check|upgrade" >&2
    exit 2
    ;;
esac
