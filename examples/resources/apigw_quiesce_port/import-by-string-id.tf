# With Terraform 1.5 or later, an import block does the same as part of a
# plan and apply.
import {
  to = apigw_quiesce_port.gw1
  id = "https://gw-1.example.internal:5555,4444"
}
