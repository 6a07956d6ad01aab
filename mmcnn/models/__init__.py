"""Models of mmcnn; importing this registers them in ``mmcnn.registry``.

Every mmcnn config imports this package, so it also makes mmcv's image
loader name the file and the problem when an image cannot be decoded
(:func:`mmcnn.utils.image_check.explain_image_load_errors`) and mmcv's
RoIAlign read the channels-last maps mmcnn's backbones return
(:func:`mmcnn.utils.roi_layout.read_roi_maps_by_strides`).
"""
from mmcnn.utils.image_check import explain_image_load_errors
from mmcnn.utils.roi_layout import read_roi_maps_by_strides
from .backbones import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403

explain_image_load_errors()
read_roi_maps_by_strides()
