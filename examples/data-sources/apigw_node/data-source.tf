data "apigw_node" "gw1" {
  url = "https://gw-1.example.internal:5555"
}

output "gw1" {
  value = {
    version         = data.apigw_node.gw1.version
    build           = data.apigw_node.gw1.build
    fixes           = data.apigw_node.gw1.fixes
    product_version = data.apigw_node.gw1.product_version
    ready           = data.apigw_node.gw1.ready
    quiesce_alias   = data.apigw_node.gw1.quiesce_port_alias
  }
}
