#!/usr/bin/env bash
# haproxy-node-state.sh: take an API Gateway node out of HAProxy before the
# apigw provider upgrades it, and put it back afterwards, through HAProxy's
# runtime API (the admin socket).
#
# Usage:
#   haproxy-node-state.sh drain  [SERVER]
#   haproxy-node-state.sh ready  [SERVER]
#   haproxy-node-state.sh status [SERVER]
#
#   drain   sets the server to DRAIN: HAProxy sends it no new request and
#           lets the running ones finish. Waits until the server has no
#           session and nothing queued, so the node is idle before the
#           provider quiesces it. Use as before_node_command.
#   ready   sets the server back to READY and waits until HAProxy's health
#           checks report it UP, so the next node leaves only once this one
#           takes traffic again. Use as after_node_command.
#   status  prints the server's status, sessions and queue.
#
# SERVER defaults to $HAPROXY_SERVER, then to $APIGW_NODE_NAME, which the
# provider sets for every command: name the HAProxy servers like the nodes.
#
# Environment:
#   HAPROXY_SOCKET   admin socket: a path (stats socket ... level admin),
#                    host:port for a TCP one, or ssh://[USER@]HOST/PATH for
#                    the socket PATH on another machine, reached over SSH
#                    (socat runs there); several separated by spaces to act
#                    on every HAProxy of a pair, e.g.
#                    "ssh://lb-1/run/haproxy/admin.sock ssh://lb-2/run/haproxy/admin.sock"
#                    (default /run/haproxy/admin.sock)
#   HAPROXY_SSH_OPTS options of ssh for ssh:// sockets (default: batch mode
#                    and one shared connection per host, reused by the polls)
#   HAPROXY_BACKEND  backend holding the gateway servers (default be_apigw)
#   HAPROXY_TIMEOUT  seconds to wait for the drain or for UP (default 300);
#                    past it the script fails, and so does the rollout
#   HAPROXY_POLL     seconds between two looks (default 0.2)
#
# Needs bash and socat (on the HAProxy host for ssh:// sockets). Exit
# status: 0 done, 1 failed or timed out, 2 usage.
set -euo pipefail

usage() {
  echo "usage: ${0##*/} drain|ready|status [SERVER]" >&2
  exit 2
}

action=${1:-}
case $action in drain | ready | status) ;; *) usage ;; esac
server=${2:-${HAPROXY_SERVER:-${APIGW_NODE_NAME:-}}}
[[ -n $server ]] || {
  echo "${0##*/}: no server: pass SERVER or set HAPROXY_SERVER or APIGW_NODE_NAME" >&2
  exit 2
}
sockets=${HAPROXY_SOCKET:-/run/haproxy/admin.sock}
backend=${HAPROXY_BACKEND:-be_apigw}
timeout=${HAPROXY_TIMEOUT:-300}
poll=${HAPROXY_POLL:-0.2}
[[ $timeout =~ ^[0-9]+$ ]] || {
  echo "${0##*/}: HAPROXY_TIMEOUT must be whole seconds, got '$timeout'" >&2
  exit 2
}
for sock in $sockets; do
  if [[ $sock != ssh://* ]] && ! command -v socat >/dev/null; then
    echo "${0##*/}: socat is not installed (Debian/Ubuntu: apt-get install socat)" >&2
    exit 1
  fi
done
read -r -a ssh_opts <<<"${HAPROXY_SSH_OPTS:--o BatchMode=yes -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=~/.ssh/haproxy-node-state-%C}"

log() { echo "$(date -u +%H:%M:%S.%3N) $backend/$server: $*" >&2; }

# runtime SOCKET COMMAND... sends one command and prints the answer.
runtime() {
  local sock=$1 addr dest
  shift
  case $sock in
    ssh://*)
      dest=${sock#ssh://}
      # The remote command is built here, with a socket path free of spaces.
      # shellcheck disable=SC2029
      printf '%s\n' "$*" | ssh "${ssh_opts[@]}" "${dest%%/*}" socat -t 5 -T 10 - "UNIX-CONNECT:/${dest#*/}"
      return
      ;;
    /*) addr="UNIX-CONNECT:$sock" ;;
    *) addr="TCP:$sock" ;;
  esac
  printf '%s\n' "$*" | socat -t 5 -T 10 - "$addr"
}

# set_state SOCKET STATE: "set server" answers nothing when it worked and a
# sentence ("No such server.", "Permission denied") when it did not.
set_state() {
  local out
  out=$(runtime "$1" "set server $backend/$server state $2") || {
    log "cannot reach the runtime API at $1"
    return 1
  }
  if [[ -n ${out//[[:space:]]/} ]]; then
    log "HAProxy at $1 refused 'set server ... state $2': $out"
    return 1
  fi
}

# server_stat SOCKET prints "STATUS SESSIONS QUEUED" for the server, reading
# the columns of "show stat" by their names in its header line.
server_stat() {
  runtime "$1" "show stat $backend 4 -1" | awk -F, -v srv="$server" '
    NR == 1 {
      sub(/^# */, "")
      for (i = 1; i <= NF; i++) col[$i] = i
      next
    }
    $2 == srv {
      print $col["status"] "," $col["scur"] "," $col["qcur"]
      found = 1
    }
    END { if (!found) exit 1 }'
}

# wait_for SOCKET WHAT: polls until the server is drained or up.
wait_for() {
  local sock=$1 what=$2 line status scur qcur last=""
  local deadline=$((SECONDS + timeout))
  while :; do
    line=$(server_stat "$sock") || {
      log "not found in 'show stat' at $sock"
      return 1
    }
    IFS=, read -r status scur qcur <<<"$line"
    if [[ $line != "$last" ]]; then
      log "$status, $scur sessions, $qcur queued"
      last=$line
    fi
    case $what in
      drained) ((${scur:-0} == 0 && ${qcur:-0} == 0)) && return 0 ;;
      up) [[ $status == UP || $status == "no check" ]] && return 0 ;;
    esac
    if ((SECONDS >= deadline)); then
      log "still $status with $scur sessions after ${timeout}s: giving up"
      return 1
    fi
    sleep "$poll"
  done
}

rc=0
for sock in $sockets; do
  case $action in
    drain)
      set_state "$sock" drain && log "draining" && wait_for "$sock" drained && log "drained" || rc=1
      ;;
    ready)
      set_state "$sock" ready && log "back in rotation" && wait_for "$sock" up && log "up" || rc=1
      ;;
    status)
      line=$(server_stat "$sock") || {
        log "not found in 'show stat' at $sock"
        rc=1
        continue
      }
      IFS=, read -r status scur qcur <<<"$line"
      echo "$sock $backend/$server status=$status sessions=$scur queued=$qcur"
      ;;
  esac
done
exit "$rc"
