#!/usr/bin/env bash
# t_load_smoke.sh - the load test of tests/load/load.sh at suite size: about
# 1500 messages through 4 clients (stdio, then pipe), same checks (every
# answer as expected, flat RSS, console totals), well under 60 s.
exec bash "$(dirname "$0")/load.sh" "${LOAD_MESSAGES:-1500}" "${LOAD_CLIENTS:-4}"
