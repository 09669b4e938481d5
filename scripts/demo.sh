#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: one primary + two replicas (redis-server on 127.0.0.1) and one vigil watching them,
# all in a private temp dir, until Ctrl-C. It stops only the processes it started (by PID) and
# removes its temp dir; it never touches anything else and refuses to start on a taken port.
#
# Ports: DEMO_PRIMARY_PORT (6379), DEMO_REPLICA1_PORT (6380), DEMO_REPLICA2_PORT (6381),
# DEMO_VIGIL_PORT (26379). Binary: VIGIL (./bin/vigil). DEMO_WAIT_S bounds the startup wait.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vigil=${VIGIL:-$repo/bin/vigil}
primary_port=${DEMO_PRIMARY_PORT:-6379}
replica1_port=${DEMO_REPLICA1_PORT:-6380}
replica2_port=${DEMO_REPLICA2_PORT:-6381}
vigil_port=${DEMO_VIGIL_PORT:-26379}
wait_s=${DEMO_WAIT_S:-30}
host=127.0.0.1

die() {
	echo "demo: $*" >&2
	exit 1
}

for tool in redis-server redis-cli; do
	command -v "$tool" >/dev/null || die "$tool not found (run: make deps)"
done
[ -x "$vigil" ] || die "vigil binary not found at $vigil (run: make)"

# A port is free if we can bind it on 127.0.0.1 right now (SO_REUSEADDR, as redis-server and
# vigil use, so that TIME_WAIT leftovers of a previous run do not count as taken).
port_is_free() {
	/usr/bin/python3 - "$1" <<-'EOF' 2>/dev/null
		import socket, sys
		s = socket.socket()
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("127.0.0.1", int(sys.argv[1])))
	EOF
}

taken=()
for p in "$primary_port" "$replica1_port" "$replica2_port" "$vigil_port"; do
	if ! [[ $p =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
		die "bad port: $p"
	fi
	port_is_free "$p" || taken+=("$p")
done
if [ ${#taken[@]} -gt 0 ]; then
	echo "demo: port(s) already in use on $host: ${taken[*]}" >&2
	echo "demo: stop whatever listens there, or pick others, e.g." >&2
	echo "  DEMO_PRIMARY_PORT=7379 DEMO_REPLICA1_PORT=7380 DEMO_REPLICA2_PORT=7381" \
		"DEMO_VIGIL_PORT=27379 make demo" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")
pids=()
names=()

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local i pid
	# Stop in reverse start order: vigil first, then the replicas, then the primary.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[$i]}
		if kill -0 "$pid" 2>/dev/null; then
			kill -CONT "$pid" 2>/dev/null || true
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[$i]}
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "demo: ${names[$i]} (pid $pid) ignored SIGTERM, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
	echo "demo: stopped everything and removed $tmp"
	exit "$rc"
}
trap cleanup EXIT
# Ctrl-C or SIGTERM is the normal way to end the demo: clean up and exit 0.
trap 'exit 0' INT TERM

# start NAME LOGFILE COMMAND...: run in the background, remember its PID.
start() {
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	pids+=("$!")
	names+=("$name")
}

start_redis() {
	local port=$1
	shift
	mkdir -p "$tmp/redis-$port"
	start "redis-server:$port" "$tmp/redis-$port/redis.log" \
		redis-server --port "$port" --bind "$host" --save '' --appendonly no \
		--dir "$tmp/redis-$port" --daemonize no --logfile '' \
		--repl-diskless-sync-delay 0 "$@"
}

# until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds, or fail after SECONDS.
until_ok() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		check_children
		[ $SECONDS -lt $deadline ] || die "timed out waiting for $what (logs in $tmp)"
		sleep 0.2
	done
}

check_children() {
	local i
	for i in "${!pids[@]}"; do
		if ! kill -0 "${pids[$i]}" 2>/dev/null; then
			echo "demo: ${names[$i]} (pid ${pids[$i]}) exited; its log:" >&2
			tail -20 "$(log_of "${names[$i]}")" >&2 || true
			exit 1
		fi
	done
}

log_of() {
	case $1 in
	vigil) echo "$tmp/vigil.log" ;;
	redis-server:*) echo "$tmp/redis-${1#redis-server:}/redis.log" ;;
	esac
}

pong() { [ "$(redis-cli -h "$host" -p "$1" PING 2>/dev/null)" = PONG ]; }
linked() { redis-cli -h "$host" -p "$1" INFO replication | grep -q '^master_link_status:up'; }
replicas_seen() {
	[ "$(redis-cli -h "$host" -p "$vigil_port" SENTINEL replicas mymaster |
		grep -c '^name$')" -eq 2 ]
}

echo "demo: temp dir $tmp"
start_redis "$primary_port"
until_ok "$wait_s" "primary on $primary_port" pong "$primary_port"
start_redis "$replica1_port" --replicaof "$host" "$primary_port"
start_redis "$replica2_port" --replicaof "$host" "$primary_port"
until_ok "$wait_s" "replica on $replica1_port to sync" linked "$replica1_port"
until_ok "$wait_s" "replica on $replica2_port to sync" linked "$replica2_port"

mkdir -p "$tmp/vigil"
cat >"$tmp/vigil.conf" <<EOF
bind = "$host"
port = $vigil_port
dir = "$tmp/vigil"
log-level = "notice"
primary "mymaster" {
    host = "$host"
    port = $primary_port
    quorum = 1
    down-after-ms = 5000
    failover-timeout-ms = 180000
    parallel-syncs = 1
}
EOF
start vigil "$tmp/vigil.log" "$vigil" --config "$tmp/vigil.conf"
until_ok "$wait_s" "vigil on $vigil_port" pong "$vigil_port"
until_ok "$wait_s" "vigil to discover both replicas" replicas_seen

cat <<EOF

vigil (pid ${pids[3]}) watches primary $host:$primary_port (pid ${pids[0]}) and replicas
$host:$replica1_port (pid ${pids[1]}), $host:$replica2_port (pid ${pids[2]});
quorum 1, down-after 5 s.

Ask it, as any Sentinel client would:
  redis-cli -p $vigil_port SENTINEL get-master-addr-by-name mymaster
  redis-cli -p $vigil_port SENTINEL replicas mymaster
  redis-cli -p $vigil_port SENTINEL masters
Watch its events (+sdown, -sdown, +switch-master, ...):
  redis-cli -p $vigil_port PSUBSCRIBE '*'
then freeze a replica for a few seconds:  kill -STOP ${pids[2]}; sleep 7; kill -CONT ${pids[2]}
vigil's log: $tmp/vigil.log

\$ redis-cli -p $vigil_port SENTINEL get-master-addr-by-name mymaster
EOF
redis-cli -h "$host" -p "$vigil_port" SENTINEL get-master-addr-by-name mymaster
echo "\$ redis-cli -p $vigil_port SENTINEL replicas mymaster   (some of the fields)"
redis-cli -h "$host" -p "$vigil_port" SENTINEL replicas mymaster | paste - - |
	grep -E '^(name|flags|master-link-status|master-host|master-port)[[:space:]]' || true
echo
echo "demo: running; press Ctrl-C to stop everything."
while true; do
	check_children
	sleep 1
done
