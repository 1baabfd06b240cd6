#!/bin/sh
# notify_command: post every milestone of the rollout to a chat channel
# through its incoming webhook. CHAT_WEBHOOK_URL comes from
# command_secret_env. The provider runs this in the background, one
# milestone at a time, and only warns when it fails; curl's own limit keeps
# it well inside the provider's 30-second bound.
set -eu
case "$APIGW_EVENT" in
node_failed | rollback_failed) prefix="FAILED" ;;
rollout_finished) prefix="DONE" ;;
*) prefix="upgrade" ;;
esac
text=$(printf '[%s] %s' "$prefix" "$APIGW_EVENT_MESSAGE" | tr '\n\r\t' '   ' | sed 's/\\/\\\\/g; s/"/\\"/g')
exec curl --silent --show-error --fail --max-time 10 \
  -H 'Content-Type: application/json' --data "{\"text\": \"$text\"}" "$CHAT_WEBHOOK_URL"
