#!/usr/bin/env bash
# f5-pool-member.sh: take an API Gateway node out of a BIG-IP pool before
# the apigw provider upgrades it, and put it back afterwards, through the
# BIG-IP's iControl REST API.
#
# Usage:
#   f5-pool-member.sh drain  [MEMBER]
#   f5-pool-member.sh ready  [MEMBER]
#   f5-pool-member.sh status [MEMBER]
#
#   drain   disables the pool member (session user-disabled: the BIG-IP
#           sends it no new connection) and waits until its current
#           server-side connections (serverside.curConns) reach zero, so the
#           node is idle before the provider quiesces it. Use as
#           before_node_command.
#   ready   enables the member again and waits until the pool's health
#           monitor marks it up, so the next node leaves only once this one
#           takes traffic again. Use as after_node_command.
#   status  prints the member's session, state and connections.
#
# MEMBER is the pool member, "<node>:<port>"; it defaults to
# $APIGW_NODE_NAME:$F5_MEMBER_PORT, so name the BIG-IP nodes like the nodes
# of apigw_rolling_upgrade, or pass the member as the second argument.
#
# Environment:
#   F5_URL          management URL of the BIG-IP (https://bigip-1.example.internal);
#                   several separated by spaces to act on every unit of a pair
#                   whose configuration is not synchronized automatically
#   F5_USER         iControl REST user (default admin)
#   F5_PASSWORD     its password: put it in command_secret_env. It goes to
#                   curl on stdin, never on a command line.
#   F5_PARTITION    partition of the pool and its members (default Common)
#   F5_POOL         the pool of the gateway nodes (default pool_apigw)
#   F5_MEMBER_PORT  the members' port (default 5555)
#   F5_CA_FILE      CA bundle that signed the management certificate
#                   (default: the system's trusted roots)
#   F5_TIMEOUT      seconds to wait for the drain or for up (default 300);
#                   past it the script fails, and so does the rollout
#   F5_POLL         seconds between two looks (default 1)
#
# Needs bash, curl and jq. Exit status: 0 done, 1 failed or timed out, 2 usage.
set -euo pipefail

usage() {
  echo "usage: ${0##*/} drain|ready|status [MEMBER]" >&2
  exit 2
}

action=${1:-}
case $action in drain | ready | status) ;; *) usage ;; esac
port=${F5_MEMBER_PORT:-5555}
member=${2:-${APIGW_NODE_NAME:+$APIGW_NODE_NAME:$port}}
[[ -n $member ]] || {
  echo "${0##*/}: no member: pass MEMBER or set APIGW_NODE_NAME" >&2
  exit 2
}
urls=${F5_URL:?set F5_URL to the BIG-IP management URL}
user=${F5_USER:-admin}
partition=${F5_PARTITION:-Common}
pool=${F5_POOL:-pool_apigw}
timeout=${F5_TIMEOUT:-300}
poll=${F5_POLL:-1}
[[ $timeout =~ ^[0-9]+$ ]] || {
  echo "${0##*/}: F5_TIMEOUT must be whole seconds, got '$timeout'" >&2
  exit 2
}
path="/mgmt/tm/ltm/pool/~$partition~$pool/members/~$partition~$member"

log() { echo "$(date -u +%H:%M:%S) $pool/$member: $*" >&2; }

# icontrol BASE METHOD PATH [BODY] prints the JSON answer of one call; on
# an HTTP error it logs the BIG-IP's message and fails.
icontrol() {
  local base=$1 method=$2 p=$3 body=${4:-} pw out code
  local opts=(--silent --show-error --max-time 20 -K - -X "$method" -w '\n%{http_code}')
  [[ -n ${F5_CA_FILE:-} ]] && opts+=(--cacert "$F5_CA_FILE")
  [[ -n $body ]] && opts+=(-H 'Content-Type: application/json' --data "$body")
  pw=${F5_PASSWORD:?set F5_PASSWORD in command_secret_env}
  pw=${pw//\\/\\\\}
  pw=${pw//\"/\\\"}
  out=$(printf 'user = "%s:%s"\n' "$user" "$pw" | curl "${opts[@]}" "$base$p") || {
    log "cannot reach $base"
    return 1
  }
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if [[ $code != 2?? ]]; then
    log "$method $base$p answered HTTP $code: $(jq -r '.message // empty' <<<"$out" 2>/dev/null || printf '%s' "$out")"
    return 1
  fi
  printf '%s\n' "$out"
}

# member_state BASE prints "SESSION STATE CONNECTIONS".
member_state() {
  local m s
  m=$(icontrol "$1" GET "$path") || return 1
  s=$(icontrol "$1" GET "$path/stats") || return 1
  printf '%s %s %s\n' "$(jq -r '.session' <<<"$m")" "$(jq -r '.state' <<<"$m")" \
    "$(jq -r '[.entries[]?.nestedStats.entries["serverside.curConns"].value] | first // "unknown"' <<<"$s")"
}

# wait_for BASE WHAT polls until the member has no connection (drained)
# or the monitor has it up.
wait_for() {
  local base=$1 what=$2 session state conns line last=""
  local deadline=$((SECONDS + timeout))
  while :; do
    line=$(member_state "$base") || return 1
    read -r session state conns <<<"$line"
    if [[ $line != "$last" ]]; then
      log "session $session, state $state, $conns connections"
      last=$line
    fi
    case $what in
      drained) [[ $conns == 0 ]] && return 0 ;;
      # "unchecked": the pool has no monitor, nothing more to wait for.
      up) [[ $state == up || $state == unchecked ]] && return 0 ;;
    esac
    if ((SECONDS >= deadline)); then
      log "still $state with $conns connections after ${timeout}s: giving up"
      return 1
    fi
    sleep "$poll"
  done
}

rc=0
for base in $urls; do
  base=${base%/}
  case $action in
    drain)
      { icontrol "$base" PATCH "$path" '{"session":"user-disabled"}' >/dev/null &&
        log "disabled on $base" && wait_for "$base" drained && log "drained"; } || rc=1
      ;;
    ready)
      { icontrol "$base" PATCH "$path" '{"session":"user-enabled","state":"user-up"}' >/dev/null &&
        log "enabled on $base" && wait_for "$base" up && log "up"; } || rc=1
      ;;
    status)
      line=$(member_state "$base") || {
        rc=1
        continue
      }
      read -r session state conns <<<"$line"
      echo "$base $pool/$member session=$session state=$state connections=$conns"
      ;;
  esac
done
exit "$rc"
