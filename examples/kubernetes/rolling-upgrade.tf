# A rolling upgrade of the pods of the StatefulSet in statefulset.yaml. Run
# Terraform where the pods' DNS names resolve and the admin and quiesce
# ports are reachable: inside the cluster (a Terraform Cloud agent running
# as a pod, say) with kubectl and jq, and a service account allowed to get
# and patch the StatefulSet and to get and delete its pods.
variable "replicas" {
  description = "Pods of the StatefulSet."
  type        = number
  default     = 3
}

locals {
  # The node names are the pod names: the script deletes the pod named
  # APIGW_NODE_NAME. The list keeps the ordinal order.
  pods = [for i in range(var.replicas) : "apigateway-${i}"]
  # The headless service gives every pod a name of its own.
  admin_url = { for pod in local.pods : pod => "http://${pod}.apigateway-headless.apigw.svc.cluster.local:5555" }
}

resource "apigw_quiesce_port" "this" {
  for_each = local.admin_url
  node_url = each.value
  port     = 4444 # the container port named quiesce in statefulset.yaml
}

resource "apigw_rolling_upgrade" "cluster" {
  target_version = "10.15.0.7"

  nodes = [for pod in local.pods : {
    name        = pod
    url         = local.admin_url[pod]
    quiesce_url = apigw_quiesce_port.this[pod].quiesce_url
  }]

  # Before any pod is touched: the StatefulSet must use OnDelete.
  prepare_command = ["${path.module}/upgrade-kubernetes.sh", "check"]
  # Sets the new image in the pod template and deletes the quiesced pod.
  upgrade_command = ["${path.module}/upgrade-kubernetes.sh", "upgrade"]

  command_env = {
    KUBE_NAMESPACE   = "apigw"
    STATEFULSET      = "apigateway"
    CONTAINER        = "apigateway"
    IMAGE_REPOSITORY = "registry.example.internal/apigateway"
  }

  # The new pod pulls its image and starts within this time.
  ready_timeout = "20m"
}
