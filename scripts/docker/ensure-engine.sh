#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock, idempotently:
#   1. installs Debian's docker.io and docker-compose when missing (apt-get update at most once);
#   2. starts `dockerd --iptables=false --storage-driver=vfs --live-restore` in the background when
#      no daemon answers, logging to a temp file, and records its pid so that tests know they may
#      stop and restart it (they never touch a daemon somebody else started);
#   3. waits for `docker info` to answer, within a deadline.
# Environment: SWITCHYARD_DOCKERD_TIMEOUT (seconds, default 90), SWITCHYARD_DOCKERD_STATE (folder for
# the pid and log files, default /tmp/switchyard-dockerd), SWITCHYARD_DOCKERD_LIVE_RESTORE=0 (start
# the daemon without --live-restore, for swarm mode).
set -euo pipefail

timeout_s="${SWITCHYARD_DOCKERD_TIMEOUT:-90}"
state_dir="${SWITCHYARD_DOCKERD_STATE:-/tmp/switchyard-dockerd}"
pid_file="$state_dir/dockerd.pid"
log_file="$state_dir/dockerd.log"
apt_updated=0

say() { printf '[ensure-engine] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Packages. `docker` may also be a newer static client elsewhere on PATH; the daemon is what counts.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
else
  say "docker.io and docker-compose already installed"
fi

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# 2. Daemon.
if engine_answers; then
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    say "dockerd already running (started by this script, pid $(cat "$pid_file"))"
  else
    say "a Docker engine already answers (not started by this script: tests will not restart it)"
  fi
else
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "a dockerd process exists but does not answer yet; waiting for it"
  else
    mkdir -p "$state_dir"
    printf '\n==== %s: dockerd started by ensure-engine.sh ====\n' "$(date -u +%FT%TZ)" >>"$log_file"
    say "starting dockerd (log: $log_file)"
    # setsid: the daemon must outlive this script and the shell that ran it.
    live_restore=(--live-restore)
    # Swarm mode refuses a daemon with live-restore: ensure-swarm.sh asks for one without, and a
    # node that joined a swarm in an earlier run (its state stays in /var/lib/docker/swarm) would
    # not start at all with it ("incompatible with swarm mode").
    [ "${SWITCHYARD_DOCKERD_LIVE_RESTORE:-1}" = 0 ] && live_restore=()
    [ -s /var/lib/docker/swarm/docker-state.json ] && live_restore=()
    setsid dockerd --iptables=false --storage-driver=vfs "${live_restore[@]}" \
      >>"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    say "dockerd pid $(cat "$pid_file")"
  fi
fi

# 3. Wait for the socket and the API.
deadline=$((SECONDS + timeout_s))
until engine_answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "Docker engine did not answer within ${timeout_s}s; last lines of $log_file:"
    tail -n 30 "$log_file" 2>/dev/null || true
    exit 1
  fi
  if [ -f "$pid_file" ] && ! kill -0 "$(cat "$pid_file")" 2>/dev/null && ! pgrep -x dockerd >/dev/null; then
    say "dockerd exited; last lines of $log_file:"
    tail -n 30 "$log_file" 2>/dev/null || true
    exit 1
  fi
  sleep 0.5
done
say "engine ready: server $(docker version --format '{{.Server.Version}}' 2>/dev/null), storage $(docker info --format '{{.Driver}}' 2>/dev/null)"
