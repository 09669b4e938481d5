#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: one primary + two replicas (redis-server on 127.0.0.1) and three vigil watchers
# (quorum 2, down-after 1 s) in a private temp dir; prints a one-line `kill -9` of the primary and
# shows every change of the primary address the watchers serve, plus their failover events, until
# Ctrl-C. It stops only the processes it started (by PID), removes its temp dir, and never touches
# anything else; it refuses to start on a taken port.
#
# Ports: DEMO_PRIMARY_PORT (6379), DEMO_REPLICA1_PORT (6380), DEMO_REPLICA2_PORT (6381),
# DEMO_VIGIL_PORT (26379), DEMO_VIGIL2_PORT (DEMO_VIGIL_PORT+1), DEMO_VIGIL3_PORT
# (DEMO_VIGIL_PORT+2). Binary: VIGIL (./bin/vigil). DEMO_WAIT_S bounds each startup wait.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vigil=${VIGIL:-$repo/bin/vigil}
primary_port=${DEMO_PRIMARY_PORT:-6379}
replica1_port=${DEMO_REPLICA1_PORT:-6380}
replica2_port=${DEMO_REPLICA2_PORT:-6381}
vigil_port=${DEMO_VIGIL_PORT:-26379}
wait_s=${DEMO_WAIT_S:-30}
host=127.0.0.1
name=mymaster

die() {
	echo "demo: $*" >&2
	exit 1
}

valid_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

valid_port "$vigil_port" || die "bad port: $vigil_port"
vigil2_port=${DEMO_VIGIL2_PORT:-$((vigil_port + 1))}
vigil3_port=${DEMO_VIGIL3_PORT:-$((vigil_port + 2))}
redis_ports=("$primary_port" "$replica1_port" "$replica2_port")
vigil_ports=("$vigil_port" "$vigil2_port" "$vigil3_port")

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
for p in "${redis_ports[@]}" "${vigil_ports[@]}"; do
	valid_port "$p" || die "bad port: $p"
done
[ "$(printf '%s\n' "${redis_ports[@]}" "${vigil_ports[@]}" | sort -u | wc -l)" -eq 6 ] ||
	die "the six ports must differ: ${redis_ports[*]} ${vigil_ports[*]}"
for p in "${redis_ports[@]}" "${vigil_ports[@]}"; do
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
gone=()

cleanup() {
	local rc=$?
	trap - EXIT INT TERM USR1
	local i pid
	# Stop in reverse start order: the display loops, the watchers, the replicas, the primary.
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
# SIGUSR1 (see the banner) restarts the redis-servers that died, on their ports and dirs.
restart_wanted=0
trap 'restart_wanted=1' USR1

# start NAME LOGFILE COMMAND...: run in the background, remember its PID.
start() {
	local name=$1 log=$2
	shift 2
	"$@" >>"$log" 2>&1 &
	track "$name" "$!"
}

# track NAME PID: remember a background child so that cleanup stops it.
track() {
	pids+=("$2")
	names+=("$1")
	gone+=(0)
}

# redis_argv INDEX: the redis-server command line of node INDEX (0 = the first primary).
redis_argv() {
	local port=${redis_ports[$1]}
	argv=(redis-server --port "$port" --bind "$host" --save '' --appendonly no
		--dir "$tmp/redis-$port" --daemonize no --logfile '' --repl-diskless-sync-delay 0)
	[ "$1" -eq 0 ] || argv+=(--replicaof "$host" "$primary_port")
}

start_redis() {
	local port=${redis_ports[$1]} argv
	mkdir -p "$tmp/redis-$port"
	redis_argv "$1"
	start "redis-server:$port" "$tmp/redis-$port/redis.log" "${argv[@]}"
}

# until_ok SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds, or fail after SECONDS.
until_ok() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		check_children
		[ $SECONDS -lt $deadline ] || die "timed out waiting for $what (logs in $tmp)"
		sleep 0.2
	done
}

# During startup every child must stay up.
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
	vigil:*) echo "$tmp/vigil-${1#vigil:}/vigil.log" ;;
	redis-server:*) echo "$tmp/redis-${1#redis-server:}/redis.log" ;;
	*) echo /dev/null ;;
	esac
}

now() { date +%T.%3N; }
pong() { [ "$(redis-cli -h "$host" -p "$1" PING 2>/dev/null)" = PONG ]; }
linked() { redis-cli -h "$host" -p "$1" INFO replication | grep -q '^master_link_status:up'; }
# entries PORT SUBCOMMAND: how many entries SENTINEL SUBCOMMAND mymaster lists on watcher PORT.
entries() {
	redis-cli -h "$host" -p "$1" SENTINEL "$2" "$name" | grep -c '^name$' || true
}
watcher_ready() { [ "$(entries "$1" replicas)" -eq 2 ] && [ "$(entries "$1" sentinels)" -eq 2 ]; }
# addr_of PORT: "ip:port" of the primary as watcher PORT serves it, or "" if it does not answer.
addr_of() {
	local out
	out=$(redis-cli -h "$host" -p "$1" SENTINEL get-master-addr-by-name "$name" 2>/dev/null |
		paste -sd: -) || true
	if [[ $out =~ ^[0-9a-fA-F.:]+:[0-9]+$ ]]; then echo "$out"; fi
}
pid_at() {
	redis-cli -h "$host" -p "$1" INFO server 2>/dev/null | tr -d '\r' |
		sed -n 's/^process_id://p' || true
}

# Background: print every change of the address each watcher serves, as a client would see it,
# and when the first watcher moves, the kill command for the new primary.
watch_addresses() {
	local -A last=()
	local p cur
	while true; do
		for p in "${vigil_ports[@]}"; do
			cur=$(addr_of "$p")
			[ -n "$cur" ] || continue
			[ "${last[$p]:-}" != "$cur" ] || continue
			if [ -z "${last[$p]:-}" ]; then
				echo "$(now)  watcher :$p serves primary $cur"
			else
				echo "$(now)  watcher :$p serves primary $cur  (NEW PRIMARY, was ${last[$p]})"
				[ "$p" != "$vigil_port" ] || echo "$(now)  to fail over again:" \
					"kill -9 $(pid_at "${cur##*:}")"
			fi
			last[$p]=$cur
		done
		sleep 0.1
	done
}

# Background: the failover events of the first watcher, from a plain redis-cli subscriber.
show_events() {
	local line kind channel payload
	while IFS= read -r line; do
		IFS=, read -r kind channel payload <<<"$line"
		[ "$kind" = '"message"' ] || continue
		echo "$(now)  event ${channel//\"/} ${payload//\"/}"
	done
}

echo "demo: temp dir $tmp"
start_redis 0
until_ok "$wait_s" "primary on $primary_port" pong "$primary_port"
start_redis 1
start_redis 2
until_ok "$wait_s" "replica on $replica1_port to sync" linked "$replica1_port"
until_ok "$wait_s" "replica on $replica2_port to sync" linked "$replica2_port"

for p in "${vigil_ports[@]}"; do
	mkdir -p "$tmp/vigil-$p/state"
	cat >"$tmp/vigil-$p/vigil.conf" <<-EOF
		bind = "$host"
		port = $p
		dir = "$tmp/vigil-$p/state"
		log-level = "notice"
		primary "$name" {
		    host = "$host"
		    port = $primary_port
		    quorum = 2
		    down-after-ms = 1000
		    failover-timeout-ms = 10000
		    parallel-syncs = 1
		}
	EOF
	start "vigil:$p" "$tmp/vigil-$p/vigil.log" "$vigil" --config "$tmp/vigil-$p/vigil.conf"
done
for p in "${vigil_ports[@]}"; do
	until_ok "$wait_s" "vigil on $p" pong "$p"
done
for p in "${vigil_ports[@]}"; do
	until_ok "$wait_s" "vigil on $p to see both replicas and the other two watchers" \
		watcher_ready "$p"
done

cat <<EOF

3 vigil watchers (pids ${pids[3]} ${pids[4]} ${pids[5]}, ports ${vigil_ports[*]}) watch primary
$host:$primary_port (pid ${pids[0]}) and its replicas $host:$replica1_port (pid ${pids[1]}),
$host:$replica2_port (pid ${pids[2]}); quorum 2, down-after 1 s.

Trigger a failover (kill the primary):   kill -9 ${pids[0]}
Bring dead redis-servers back (the old primary becomes a replica):   kill -USR1 $$
Ask a watcher, as any Sentinel client would:
  redis-cli -p $vigil_port SENTINEL get-master-addr-by-name $name
  redis-cli -p $vigil_port SENTINEL replicas $name
Logs: $tmp/vigil-<port>/vigil.log, $tmp/redis-<port>/redis.log

Below: every change of the primary address each watcher serves, and the first watcher's events.
EOF

# The two display helpers write to our stdout. The FIFO is opened inside the background
# children (opening it here would block until the other end is open).
mkfifo "$tmp/events"
(exec <"$tmp/events" && show_events) &
track event-printer "$!"
redis-cli --csv -h "$host" -p "$vigil_port" SUBSCRIBE +sdown -sdown +odown -odown +elected-leader \
	+promoted-slave +switch-master +convert-to-slave >"$tmp/events" 2>>"$tmp/subscriber.log" &
track subscriber "$!"
watch_addresses &
track address-watch "$!"

echo "demo: running; press Ctrl-C to stop everything."
while true; do
	for i in "${!pids[@]}"; do
		if [ "${gone[$i]}" -eq 0 ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
			gone[i]=1
			echo "$(now)  demo: ${names[$i]} (pid ${pids[$i]}) is gone"
		fi
	done
	if [ "$restart_wanted" -eq 1 ]; then
		restart_wanted=0
		for i in 0 1 2; do
			[ "${gone[$i]}" -eq 1 ] || continue
			redis_argv "$i"
			"${argv[@]}" >>"$tmp/redis-${redis_ports[$i]}/redis.log" 2>&1 &
			pids[i]=$!
			gone[i]=0
			echo "$(now)  demo: restarted ${names[$i]} (pid ${pids[$i]})"
		done
	fi
	sleep 1
done
