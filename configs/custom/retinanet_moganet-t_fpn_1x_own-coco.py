# RetinaNet MogaNet-T on your own COCO-format boxes (docs/custom_dataset.md).
# As written it reads the demo set of
#   python tools/misc/make_demo_data.py --out data/own --layout flat
_base_ = '../det/moganet/retinanet_moganet-t_fpn_1x_coco.py'
from mmcnn.custom_data import use_custom_data  # noqa: E402  (after _base_)

use_custom_data(
    _base_,
    data_root='data/own/shapes/',
    classes=('circle', 'square', 'triangle'),
    train=dict(ann_file='train.json', img='images/train/'),
    val=dict(ann_file='val.json', img='images/val/'),
    resize_ratio=0.5)  # 667x400 instead of 1333x800, for a CPU
