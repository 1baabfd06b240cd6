terraform {
  required_providers {
    apigw = {
      source = "gwops/apigw"
    }
  }
}

# Credentials apply to every node. Prefer the environment for the password:
#   export APIGW_USERNAME=Administrator APIGW_PASSWORD=...
provider "apigw" {
  request_timeout = "30s"
  max_retries     = 4

  # Trust the gateways' private CA in addition to the system roots.
  # ca_cert_pem = file("${path.module}/gateway-ca.pem")

  # Only for gateways whose health endpoint requires a user: health probes
  # then carry the credentials, also to the plain-HTTP quiesce ports.
  # health_probe_credentials = true
}
