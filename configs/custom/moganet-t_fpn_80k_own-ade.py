# Semantic FPN MogaNet-T on your own ADE20K-style data: image and label-map
# folders, label 0 = other/ignored, labels 1..N = the classes
# (docs/custom_dataset.md). As written it reads the demo set of
#   python tools/misc/make_demo_data.py --out data/own --layout flat
_base_ = '../seg/moganet/moganet-t_fpn_8xb4-80k_ade20k-512x512.py'
from mmcnn.custom_data import use_custom_data  # noqa: E402  (after _base_)

use_custom_data(
    _base_,
    data_root='data/own/scenes/',
    classes=('sky', 'grass', 'sand', 'water'),
    train=dict(img='train/images', seg_map='train/labels'),
    val=dict(img='val/images', seg_map='val/labels'),
    resize_ratio=0.5)  # 256x256 crops instead of 512x512, for a CPU
