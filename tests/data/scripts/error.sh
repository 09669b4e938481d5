#!/bin/sh
# Appends one line per run to $VIGIL_SCRIPT_OUT, then fails for good (exit 2: no retry).
echo "run $1" >> "$VIGIL_SCRIPT_OUT"
exit 2
