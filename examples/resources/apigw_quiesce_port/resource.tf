# The tutorial's prerequisite, once per node: an enabled HTTP port set as the
# node's quiesce port.
resource "apigw_quiesce_port" "gw1" {
  node_url = "https://gw-1.example.internal:5555"
  port     = 4444
}

resource "apigw_quiesce_port" "gw2" {
  node_url = "https://gw-2.example.internal:5555"
  port     = 4444
  alias    = "QuiescePort"
  package  = "WmRoot"
}
