#!/bin/sh
# Appends one line per run to $VIGIL_SCRIPT_OUT, then dies by SIGTERM (a signal: retried).
echo "run $1" >> "$VIGIL_SCRIPT_OUT"
kill -TERM $$
sleep 5
