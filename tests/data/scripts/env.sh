#!/bin/sh
# Describes what the script inherited, to $VIGIL_SCRIPT_OUT: stdin and stdout targets, whether
# descriptor $VIGIL_SCRIPT_FD is open, whether it leads its own process group, then the blocked
# and ignored signal masks (hex, from /proc). Values are read before any redirection of ours.
in=$(readlink /proc/$$/fd/0)
out=$(readlink /proc/$$/fd/1)
fd=closed
if [ -e "/proc/$$/fd/$VIGIL_SCRIPT_FD" ]; then fd=open; fi
set -- $(cut -d ' ' -f 5 /proc/$$/stat)
group="group $1"
if [ "$1" = "$$" ]; then group="group leader"; fi
blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status)
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
printf '%s\n' "$in" "$out" "fd $fd" "$group" "$blk" "$ign" > "$VIGIL_SCRIPT_OUT"
exit 0
