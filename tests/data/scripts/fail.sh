#!/bin/sh
# Appends one line per run to $VIGIL_SCRIPT_OUT, then asks for a retry (exit 1).
echo "run $1" >> "$VIGIL_SCRIPT_OUT"
exit 1
