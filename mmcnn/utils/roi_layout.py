"""mmcv's ``RoIAlign`` on channels-last feature maps.

mmcv 2.1's RoIAlign kernels (CPU and CUDA) index their input as contiguous
``(N, C, H, W)`` memory whatever its strides. mmcnn's backbones run
channels-last on CPUs and return their maps in that memory format, which
the FPN keeps, so Mask R-CNN's and Cascade R-CNN's RoI heads would pool
scrambled features (a MogaNet-XT Mask R-CNN agreed with the correct
pooling on 0 of 5 labels). :func:`read_roi_maps_by_strides` makes the input
contiguous first: a copy for a channels-last map, nothing for a contiguous
one, the same result either way.
"""
import functools

import torch

_PATCHED = '_mmcnn_contiguous_input'


def read_roi_maps_by_strides() -> None:
    """Make ``mmcv.ops.RoIAlign`` (what mmdet's ``SingleRoIExtractor``
    builds) pool channels-last maps correctly; idempotent."""
    from mmcv.ops import RoIAlign

    if getattr(RoIAlign.forward, _PATCHED, False):
        return
    forward = RoIAlign.forward

    @functools.wraps(forward)
    def contiguous_forward(self, input: torch.Tensor,
                           rois: torch.Tensor) -> torch.Tensor:
        return forward(self, input.contiguous(), rois)

    setattr(contiguous_forward, _PATCHED, True)
    RoIAlign.forward = contiguous_forward
