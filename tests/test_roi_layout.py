"""Mask R-CNN's RoI features on mmcnn's channels-last maps are the features
of the same maps in contiguous memory (mmcv's RoIAlign kernels read their
input as contiguous NCHW; mmcnn.models makes them read it by strides)."""
import os.path as osp

import torch
from mmengine.config import Config

import mmcnn.models  # noqa: F401  (installs the fix)
from mmcnn.utils.roi_layout import read_roi_maps_by_strides

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO_ROOT, 'configs', 'det', 'moganet',
                  'mask-rcnn_moganet-xt_fpn_1x_coco.py')


def test_roi_align_pools_channels_last_maps_as_contiguous_ones():
    from mmcv.ops import RoIAlign
    read_roi_maps_by_strides()  # idempotent
    x = torch.randn(2, 8, 20, 24)
    rois = torch.tensor([[0, 1., 2., 15., 12.], [1, 4., 3., 9., 18.],
                         [0, 0.2, 0.3, 0.9, 0.7]])
    layer = RoIAlign(7, 1., 0, aligned=True)
    channels_last = x.contiguous(memory_format=torch.channels_last)
    assert not channels_last.is_contiguous()
    assert torch.equal(layer(channels_last, rois), layer(x, rois))


def test_mask_rcnn_roi_features_on_a_channels_last_backbone():
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    model = MMDET_MODELS.build(cfg.model).eval()
    image = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        feats = model.extract_feat(image)
        assert not feats[0].is_contiguous()  # the FPN keeps channels-last
        rois = torch.tensor([[0, 4., 6., 60., 50.], [0, 10., 2., 120., 90.],
                             [0, 30., 20., 40., 33.]])
        extractor = model.roi_head.bbox_roi_extractor
        num_levels = extractor.num_inputs
        pooled = extractor(feats[:num_levels], rois)
        reference = extractor([f.contiguous() for f in feats[:num_levels]],
                              rois)
    assert pooled.abs().max() > 0
    assert torch.equal(pooled, reference)
