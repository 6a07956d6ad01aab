#!/usr/bin/env bash
# Fine-tune a demo detector from random init and from its SparK-pre-trained
# backbone on the same schedule; print both runs' last bbox mAP.
#
#   bash projects/mim_pretrain/tools/compare_finetune.sh moganet-xt
#   bash projects/mim_pretrain/tools/compare_finetune.sh convnext-atto
#
# 1. generated images (data/demo, as `make demo`), 2. 200 iterations of
# spark_<name>_demo.py on its training images, 3. the demo detector trained
# twice (20 epochs, seed 0), the second time with the backbone loaded from
# step 2 (`init_cfg=dict(type='Pretrained', prefix='backbone.')`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
NAME=${1:?usage: compare_finetune.sh moganet-xt|convnext-atto}
PY=${PY:-.venv/bin/python}
WORK=${WORK:-work_dirs/compare_finetune}
case "$NAME" in
  moganet-xt) DET=configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py ;;
  convnext-atto) DET=projects/mim_pretrain/configs/retinanet_convnext-atto_fpn_20e_demo.py ;;
  *) echo "unknown demo $NAME (moganet-xt or convnext-atto)" >&2; exit 2 ;;
esac
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

[ -f data/demo/coco/annotations/instances_val.json ] ||
  "$PY" tools/misc/make_demo_data.py --out data/demo --tasks det
"$PY" tools/train.py "projects/mim_pretrain/configs/spark_${NAME}_demo.py" \
  --work-dir "$WORK/spark_$NAME"
CKPT="$WORK/spark_$NAME/iter_200.pth"
"$PY" tools/train.py "$DET" --work-dir "$WORK/${NAME}_scratch"
# the demo detectors build their backbone with init_cfg=None, which
# --cfg-options cannot turn into a dict: a three-line config does
cat > "$WORK/${NAME}_spark.py" <<CFG
_base_ = ['$PWD/$DET']
model = dict(backbone=dict(init_cfg=dict(
    _delete_=True, type='Pretrained', checkpoint='$PWD/$CKPT',
    prefix='backbone.')))
CFG
"$PY" tools/train.py "$WORK/${NAME}_spark.py" --work-dir "$WORK/${NAME}_spark"
for run in scratch spark; do
  echo "$NAME from $run: $(grep -ho 'coco/bbox_mAP: [0-9.]*' \
    "$WORK/${NAME}_$run"/*/*.log | tail -1)"
done
