#!/bin/sh
# The demo's upgrade command. A real one stops the quiesced node, applies
# the fix and starts it (see examples/resources/apigw_rolling_upgrade);
# here the simulator restarts the node on the target version after one
# second of "applying the fix". GWSIM_CONTROL_URL is set by the demo.
set -eu
echo "upgrading $APIGW_NODE_NAME ($((APIGW_NODE_INDEX + 1))/$APIGW_NODE_COUNT): $APIGW_FROM_VERSION -> $APIGW_TARGET_VERSION"
exec gwsim restart -node "$APIGW_NODE_NAME" -version "$APIGW_TARGET_VERSION.42" -downtime 1s
