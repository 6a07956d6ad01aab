#!/usr/bin/env bash
# Distributed training on one or several nodes through torchrun.
#   tools/dist_train.sh CONFIG NUM_PROCS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# On machines without GPUs the processes use the gloo backend.
exec bash "$(dirname "$0")/dist_run.sh" train.py "$2" "$1" \
    --launcher pytorch "${@:3}"
