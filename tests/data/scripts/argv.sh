#!/bin/sh
# Writes its own path and every argument, one "[arg]" per line, to $VIGIL_SCRIPT_OUT.
printf '[%s]\n' "$0" "$@" > "$VIGIL_SCRIPT_OUT"
exit 0
