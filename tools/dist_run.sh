#!/usr/bin/env bash
# torchrun of a script in tools/ with NUM_PROCS processes per node, the
# launcher of dist_train.sh and dist_test.sh.
#   tools/dist_run.sh SCRIPT NUM_PROCS [script arguments]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
SCRIPT=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROCS" \
    --master_port="$PORT" \
    "$(dirname "$0")/$SCRIPT" \
    "${@:3}"
