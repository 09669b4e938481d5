#!/bin/sh
# Succeeds at once.
exit 0
