#!/bin/sh
# Starts a grandchild, appends "<own pid> <grandchild pid>" to $VIGIL_SCRIPT_OUT, waits ~30 s.
sleep 30 &
echo "$$ $!" >> "$VIGIL_SCRIPT_OUT"
wait
