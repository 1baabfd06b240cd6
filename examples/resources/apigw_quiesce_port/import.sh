# A quiesce port is imported by "<node_url>,<port>".
terraform import apigw_quiesce_port.gw1 'https://gw-1.example.internal:5555,4444'
