"""What is exported for each task: a module from one image batch to the
network's tensors, and the post-processing that turns them into results.

* backbone: the stage outputs (``out_indices``);
* ``cls`` (mmpretrain ``ImageClassifier``): the class scores before the
  softmax (``mode='tensor'``);
* ``seg`` (mmseg ``EncoderDecoder``): the decode head's logits resized
  bilinearly to the input size, ``mode='whole'`` inference without the
  final crop to the un-padded image;
* ``det`` (mmdet single-stage detectors, e.g. RetinaNet): the raw head
  outputs, class scores then box deltas of every FPN level; anchors,
  decoding and NMS run afterwards in :func:`detections_from_outputs`
  (mmdet's own ``predict_by_feat`` on the ONNX Runtime tensors);
  two-stage detectors (Faster / Mask R-CNN, Cascade Mask R-CNN) are a
  graph per network, see :mod:`.two_stage`;
* ``pose`` (mmpose top-down heatmap estimators): the heatmaps
  (``mode='tensor'``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from mmcnn.analysis.builders import (build_backbone, build_task_model,
                                     config_task)
from .two_stage import (TwoStageDetectorExport, detection_agreement,
                        is_two_stage)


# ImageNet mean and std (RGB, 0-255) for backbones, which have no
# data preprocessor of their own.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def image_input(path: str, shape: Tuple[int, int],
                cfg: Optional[Config] = None) -> torch.Tensor:
    """A real image as a ``(1, 3, H, W)`` model input: read, resized to
    ``shape`` (H, W; aspect ratio not kept) and normalised as the config's
    data preprocessor does (ImageNet mean and std in RGB for a backbone).
    """
    import mmcv
    image = mmcv.imread(path, channel_order='rgb')
    if image is None:
        raise FileNotFoundError(f'Cannot read the image {path!r}.')
    image = mmcv.imresize(image, (shape[1], shape[0]))
    mean, std, to_rgb = IMAGENET_MEAN, IMAGENET_STD, True
    preprocessor = (cfg.model.get('data_preprocessor') or {}) if cfg else {}
    if preprocessor.get('mean') is not None:
        mean, std = preprocessor['mean'], preprocessor['std']
        to_rgb = preprocessor.get('bgr_to_rgb',
                                  preprocessor.get('to_rgb', False))
    if not to_rgb:
        image = image[..., ::-1]
    x = torch.from_numpy(np.ascontiguousarray(image)).float()
    x = (x - torch.tensor(mean)) / torch.tensor(std)
    return x.permute(2, 0, 1).unsqueeze(0).contiguous()


class ClassifierExport(nn.Module):
    """``(N, 3, H, W) -> (N, K)`` class scores of an mmpretrain classifier."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs, mode='tensor')


class SegmentorExport(nn.Module):
    """``(N, 3, H, W) -> (N, K, H, W)`` logits of an mmseg encoder-decoder
    (whole-image inference): the decode head's output resized to the
    input, as ``EncoderDecoder.encode_decode`` does."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        head = self.model.decode_head
        logits = head(self.model.extract_feat(inputs))
        return F.interpolate(logits, size=inputs.shape[2:], mode='bilinear',
                             align_corners=head.align_corners)


class DetectorExport(nn.Module):
    """``(N, 3, H, W) ->`` the class scores of every level, then the box
    deltas of every level, of a single-stage mmdet detector."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if is_two_stage(model):
            raise ValueError(
                f'{type(model).__name__} is a two-stage detector; export it '
                'with mmcnn.deploy.TwoStageDetectorExport (a graph per network).')
        self.model = model

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        cls_scores, bbox_preds = self.model._forward(inputs)[:2]
        return tuple(cls_scores) + tuple(bbox_preds)


class PoseExport(nn.Module):
    """``(N, 3, H, W) -> (N, K, H', W')`` heatmaps of an mmpose top-down
    estimator."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs, data_samples=None, mode='tensor')


EXPORTS = {
    'cls': ClassifierExport,
    'seg': SegmentorExport,
    'det': DetectorExport,
    'pose': PoseExport,
}


def export_module(model: nn.Module, task: str) -> nn.Module:
    """The module to export for a built ``model`` of ``task`` (``'backbone'``
    or a key of :data:`EXPORTS`), in eval mode; for a two-stage detector a
    :class:`TwoStageDetectorExport`, whose graphs are exported with its
    ``export``."""
    if task == 'backbone':
        return model.eval()
    if task == 'det' and is_two_stage(model):
        return TwoStageDetectorExport(model).eval()
    return EXPORTS[task](model).eval()


def build_for_export(source: str,
                     checkpoint: Optional[str] = None,
                     cfg_options: Optional[dict] = None
                     ) -> Tuple[nn.Module, str, Optional[Config]]:
    """Build a backbone (``FAMILY-ARCH``) or a config's model without
    weights, in eval mode; returns the model, its task (``'backbone'``,
    ``'cls'``, ``'det'``, ``'seg'``, ``'pose'``) and the config (None for
    a backbone). ``checkpoint`` loading is the caller's."""
    if not source.endswith('.py'):
        if cfg_options:
            raise ValueError('--cfg-options goes with a config file, not a '
                             f'backbone name ({source}).')
        return build_backbone(source).eval(), 'backbone', None
    cfg = Config.fromfile(source)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return build_task_model(cfg), config_task(cfg), cfg


def detections_from_outputs(detector: nn.Module,
                            outputs: Sequence[np.ndarray],
                            image_shape: Tuple[int, int]) -> List:
    """Post-process the exported raw outputs of a single-stage detector:
    mmdet's ``bbox_head.predict_by_feat`` (anchors, box decoding, score
    threshold, NMS per ``test_cfg``) for every image of the batch, boxes
    in input pixels.

    Args:
        detector: the PyTorch detector the file was exported from (its
            head's anchor generator, coder and ``test_cfg``).
        outputs: the class scores of every level, then the box deltas.
        image_shape: the input's ``(H, W)``.

    Returns:
        mmengine ``InstanceData`` per image (``bboxes``, ``scores``,
        ``labels``).
    """
    levels = len(outputs) // 2
    tensors = [torch.from_numpy(np.asarray(o, dtype=np.float32))
               for o in outputs]
    meta = dict(img_shape=image_shape, ori_shape=image_shape,
                pad_shape=image_shape, batch_input_shape=image_shape,
                scale_factor=(1., 1.))
    with torch.no_grad():
        return detector.bbox_head.predict_by_feat(
            tensors[:levels], tensors[levels:],
            batch_img_metas=[meta] * tensors[0].shape[0], rescale=False)


def task_agreement(task: str, model: nn.Module,
                   reference: Sequence[torch.Tensor],
                   outputs: Sequence[np.ndarray],
                   image_shape: Tuple[int, int]) -> Dict[str, float]:
    """What the task's results share between PyTorch (``reference``) and
    ONNX Runtime (``outputs``) beyond the tensors: the top-1 class (cls),
    the per-pixel argmax (seg: the share of equal pixels, and the number
    of different ones whose top two PyTorch logits are further apart than
    twice the largest difference, i.e. not a tie at float precision,
    which should be 0), the detections after post-processing
    (det: their number and, when the numbers match, how each PyTorch
    detection pairs with an ONNX Runtime one, :func:`detection_agreement`;
    ``image_shape`` is the input's H, W).
    Empty
    for backbones and pose."""
    if task == 'cls':
        same = reference[0].argmax(-1).numpy() == outputs[0].argmax(-1)
        return {'top1_agreement': float(same.mean())}
    if task == 'seg':
        logits = reference[0].numpy()
        same = logits.argmax(1) == outputs[0].argmax(1)
        top2 = np.sort(logits, axis=1)[:, -2:]
        tie = 2 * float(np.abs(logits - outputs[0]).max())
        decided = (top2[:, 1] - top2[:, 0]) > tie
        return {'argmax_agreement': float(same.mean()),
                'argmax_differences_beyond_ties': float(
                    (~same & decided).sum())}
    if task != 'det':
        return {}
    ours = detections_from_outputs(model.model, outputs, image_shape)[0]
    theirs = detections_from_outputs(
        model.model, [t.numpy() for t in reference], image_shape)[0]
    return detection_agreement(ours, theirs)
