#!/usr/bin/env bash
# Makes sure a Docker engine in swarm mode (a single-node swarm on 127.0.0.1) answers, for the
# Swarm suite. Swarm refuses a daemon started with --live-restore ("incompatible with swarm
# mode"), which ensure-engine.sh uses for the other suites; so:
#   - no daemon: ensure-engine.sh starts one without --live-restore;
#   - a daemon with live-restore that ensure-engine.sh started (its pid file): it is stopped and
#     started again without (containers of earlier suites stop; their images stay);
#   - a daemon with live-restore somebody else started: nothing is touched, exit 1 with why.
# Then `docker swarm init --advertise-addr 127.0.0.1` unless the node is in a swarm already.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state_dir="${SWITCHYARD_DOCKERD_STATE:-/tmp/switchyard-dockerd}"
pid_file="$state_dir/dockerd.pid"
say() { printf '[ensure-swarm] %s\n' "$*"; }

live="$(timeout 10 docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null || echo none)"
if [ "$live" = true ]; then
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    pid="$(cat "$pid_file")"
    say "restarting the dockerd ensure-engine.sh started (pid $pid) without --live-restore"
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$pid_file"
  else
    say "the running Docker daemon has live-restore on, which swarm mode refuses, and this script did not start it;"
    say "restart it without --live-restore (or stop it and let ensure-engine.sh start one) to run the Swarm suite"
    exit 1
  fi
fi
SWITCHYARD_DOCKERD_LIVE_RESTORE=0 bash "$here/ensure-engine.sh"

node_state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
if [ "$node_state" != active ]; then
  say "docker swarm init --advertise-addr 127.0.0.1"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
say "swarm mode active"
