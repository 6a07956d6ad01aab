# Top-down heatmap pose MogaNet-T on your own COCO-format keypoints (the 17
# COCO keypoints; another set: keypoints='my_dataset_info.py'), tested on
# the ground-truth boxes (docs/custom_dataset.md). As written it reads the
# demo set of
#   python tools/misc/make_demo_data.py --out data/own --layout flat
_base_ = '../pose/moganet/td-hm_moganet-t_8xb32-210e_coco-256x192.py'
from mmcnn.custom_data import use_custom_data  # noqa: E402  (after _base_)

use_custom_data(
    _base_,
    data_root='data/own/figures/',
    train=dict(ann_file='train.json', img='images/train/'),
    val=dict(ann_file='val.json', img='images/val/'))
