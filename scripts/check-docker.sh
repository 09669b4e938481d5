#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Static checks of docker/ (no engine runs here): the compose file validates with
# `docker-compose config -q`, the Dockerfile keeps its promises (Debian 12 base, apt packages,
# make, non-root user, EXPOSE 26379), every referenced file exists, and, when a vigil binary is
# built, each docker/*.conf passes `vigil --check-config`. It never builds or runs containers.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
dockerfile=docker/Dockerfile
compose=docker/docker-compose.yml
vigil=${VIGIL:-$repo/bin/vigil}
failures=0

fail() {
	echo "check-docker: FAIL: $*" >&2
	failures=$((failures + 1))
}

ok() {
	echo "check-docker: ok: $*"
}

command -v docker-compose >/dev/null || { echo "check-docker: docker-compose not found" \
	"(run: make deps)" >&2; exit 1; }
[ -f "$dockerfile" ] || { echo "check-docker: $dockerfile missing" >&2; exit 1; }
[ -f "$compose" ] || { echo "check-docker: $compose missing" >&2; exit 1; }

# --- compose ---------------------------------------------------------------------------------
if out=$(docker-compose -f "$compose" config -q 2>&1); then
	ok "docker-compose config -q"
else
	fail "docker-compose config: $out"
fi

services=$(docker-compose -f "$compose" config --services 2>/dev/null | sort | tr '\n' ' ')
for s in primary replica1 replica2 vigil1 vigil2 vigil3; do
	[[ " $services" == *" $s "* ]] || fail "compose service '$s' missing (have: $services)"
done

# Every file a service mounts must exist (compose resolves them to absolute paths).
while read -r src; do
	[ -e "$src" ] || fail "compose mounts $src, which does not exist"
done < <(docker-compose -f "$compose" config 2>/dev/null |
	sed -n 's/^ *- \(\/[^:]*\):.*/\1/p')

# Every build target named in compose must be a stage of the Dockerfile.
targets=$(docker-compose -f "$compose" config 2>/dev/null | sed -n 's/^ *target: *//p' | sort -u)
for t in $targets; do
	grep -Eiq "^FROM .* AS $t\$" "$dockerfile" ||
		fail "compose target '$t' is not a stage in $dockerfile"
done

# --- Dockerfile ------------------------------------------------------------------------------
# Base: every FROM is Debian 12 (directly, or through an ARG whose default is).
base_arg=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$dockerfile")
while read -r from; do
	image=$(awk '{print $2}' <<<"$from")
	# shellcheck disable=SC2016 # the literal text of the FROM line
	[ "$image" = '${DEBIAN_IMAGE}' ] && image=$base_arg
	case $image in
	debian:12* | debian:bookworm*) ;;
	build | redis) ;;
	*) fail "FROM '$from' is not Debian 12" ;;
	esac
done < <(grep -E '^FROM ' "$dockerfile")

for pkg in build-essential pkg-config libhiredis-dev libev-dev libconfuse-dev; do
	grep -q "$pkg" "$dockerfile" || fail "$dockerfile does not install $pkg"
done
grep -Eq 'apt-get install -y --no-install-recommends' "$dockerfile" ||
	fail "$dockerfile does not use apt-get install -y --no-install-recommends"
grep -Eq '^RUN .*make|^ *&& make' "$dockerfile" || fail "$dockerfile does not build with make"

# The final stage (the default image) must run as a non-root user and expose 26379.
final=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$dockerfile")
user=$(sed -n 's/^USER *//p' <<<"$final" | tail -1)
case $user in
'') fail "final stage has no USER (would run as root)" ;;
root | 0 | 0:*) fail "final stage runs as $user" ;;
*) ok "final stage runs as user '$user'" ;;
esac
grep -Eq '^EXPOSE .*\b26379\b' <<<"$final" || fail "final stage does not EXPOSE 26379"
grep -Eq '^(ENTRYPOINT|CMD) .*vigil' <<<"$final" || fail "final stage does not start vigil"

# COPY sources from the build context must exist (context = repository root).
while read -r src; do
	[ "$src" = . ] || [ -e "$src" ] || fail "COPY source '$src' does not exist"
done < <(grep -E '^COPY ' "$dockerfile" | grep -v -- '--from=' |
	awk '{for (i = 2; i < NF; i++) print $i}')

# --- vigil configs ---------------------------------------------------------------------------
confs=(docker/*.conf)
[ -e "${confs[0]}" ] || fail "no docker/*.conf"
if [ -x "$vigil" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for conf in "${confs[@]}"; do
		# The container's state dir does not exist here: point dir at a temp dir, keeping lines.
		sed "s|^dir = .*|dir = \"$tmp\"|" "$conf" >"$tmp/$(basename "$conf")"
		if out=$("$vigil" --config "$tmp/$(basename "$conf")" --check-config 2>&1); then
			ok "vigil --check-config $conf"
		else
			fail "vigil --check-config $conf: $out"
		fi
	done
else
	echo "check-docker: skipped vigil --check-config of docker/*.conf ($vigil not built)"
fi

if [ "$failures" -gt 0 ]; then
	echo "check-docker: $failures failure(s)" >&2
	exit 1
fi
echo "check-docker: all checks passed"
