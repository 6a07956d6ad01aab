#!/usr/bin/env bash
# Create .venv/ with the pinned OpenMMLab 2.x stack and mmcnn (run by `make env`).
# mmcv 2.1.0 has no wheel on PyPI: it is built once from source with its CPU ops
# and cached under ~/.cache/mmcnn/wheels, so later runs only reinstall it.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${VENV:-.venv}
WHEELS=${MMCNN_WHEEL_CACHE:-$HOME/.cache/mmcnn/wheels}
CONSTRAINTS=requirements/constraints.txt
MMCV_VERSION=2.1.0

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
pip_install() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "$@"; }

pip_install --upgrade pip 'setuptools>=77,<81' wheel ninja
pip_install torch==2.9.1 torchvision==0.24.1

mkdir -p "$WHEELS"
if ! ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
  echo "Building mmcv $MMCV_VERSION with CPU ops (about 10 minutes on 2 cores, once)..."
  MMCV_WITH_OPS=1 FORCE_CUDA=0 CFLAGS=-g0 MAX_JOBS="$(nproc)" \
    "$VENV/bin/python" -m pip wheel -q --disable-pip-version-check -c "$CONSTRAINTS" \
    --no-build-isolation --no-deps -w "$WHEELS" "mmcv==$MMCV_VERSION"
fi
pip_install --find-links "$WHEELS" "mmcv==$MMCV_VERSION"
pip_install --find-links "$WHEELS" -r requirements/stack.txt
pip_install --no-deps mmpose==1.3.2
pip_install --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import mmcnn, mmdet, mmseg, mmpose, mmpretrain; from mmcv.ops import nms, RoIAlign; print('mmcnn environment ready:', mmcnn.__version__)"
