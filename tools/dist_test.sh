#!/usr/bin/env bash
# Distributed evaluation through torchrun.
#   tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
exec bash "$(dirname "$0")/dist_run.sh" test.py "$3" "$1" "$2" \
    --launcher pytorch "${@:4}"
