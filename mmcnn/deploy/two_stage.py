"""Two-stage mmdet detectors (Faster / Mask R-CNN with a
``StandardRoIHead``, Cascade (Mask) R-CNN with a ``CascadeRoIHead``) as
ONNX graphs with standard operators only, and the pipeline that runs them
in ONNX Runtime with mmdet's own post-processing in between.

* ``rpn``: ``image -> (neck features of every level, RPN class scores of
  every level, RPN box deltas of every level)``;
* ``bbox``: ``(features of the RoI levels, rois (K, 5)) -> (cls_score,
  bbox_pred)`` of the box head on each RoI;
* ``mask``: ``(features of the RoI levels, rois (K, 5)) -> mask logits``
  of the mask head on each RoI (Mask R-CNN only).

A cascade head has one box (and mask) graph per stage, ``bbox0``,
``bbox1``, ... (``mask0``, ...): mmdet refines the RoIs between the box
stages and averages the stages' mask probabilities, in PyTorch, between
the ONNX Runtime calls.

The RoI features are mmdet's ``SingleRoIExtractor``: the level of each RoI
(``map_roi_levels``, in the graph) and mmcv's ``RoIAlign`` (aligned,
average), written as torchvision's ``roi_align`` on every level, the
RoI's own level kept by a one-hot weighted sum (exact: the other levels
are multiplied by 0). torchvision exports it as ONNX ``RoiAlign`` with
``coordinate_transformation_mode='half_pixel'`` (aligned=True), which
needs opset 16. Proposals (anchors, decoding, NMS), the box decoding and
NMS of the second stage, and the mask pasting run after ONNX Runtime in
mmdet (:func:`two_stage_detections`). The box graph runs on the
proposals, the mask graph on the final boxes only, as mmdet does.
"""
import contextlib
import io
from pathlib import Path
from typing import (Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import numpy as np
import onnxruntime as ort
import torch
from mmengine.structures import InstanceData
from torch import nn
from torchvision.ops import roi_align

from .onnx import (DEFAULT_OPSET, ExportError, _copy_shared_initializers,
                   export_onnx, run_ort)
from .rewrites import onnx_rewrites

ROI_OPSET = 16
ROIS_NAME = 'rois'


def is_two_stage(model: nn.Module) -> bool:
    """Whether ``model`` is an mmdet detector with an RPN and a RoI head."""
    return getattr(model, 'roi_head', None) is not None


def graph_path(out: str, graph: str) -> str:
    """The file of ``graph`` for the ``--out`` path ``out``:
    ``NAME.onnx -> NAME.GRAPH.onnx``."""
    stem = out[:-len('.onnx')] if out.endswith('.onnx') else out
    return f'{stem}.{graph}.onnx'


def roi_features(extractor: nn.Module, feats: Sequence[torch.Tensor],
                 rois: torch.Tensor) -> torch.Tensor:
    """``SingleRoIExtractor(feats, rois)`` with standard ONNX operators:
    each RoI pooled by ``torchvision.ops.roi_align`` on the level that
    ``extractor.map_roi_levels`` gives it (``floor(log2(sqrt(area) /
    finest_scale))`` clamped to the levels)."""
    layers = extractor.roi_layers
    levels = extractor.map_roi_levels(rois, len(layers))
    pooled_sum: Optional[torch.Tensor] = None
    for level, layer in enumerate(layers):
        pooled = roi_align(feats[level], rois,
                           output_size=tuple(layer.output_size),
                           spatial_scale=float(layer.spatial_scale),
                           sampling_ratio=int(layer.sampling_ratio),
                           aligned=bool(layer.aligned))
        picked = (levels == level).to(pooled.dtype).view(-1, 1, 1, 1) * pooled
        pooled_sum = picked if pooled_sum is None else pooled_sum + picked
    return pooled_sum


def _check_extractor(extractor: nn.Module, name: str) -> None:
    """Raise unless ``extractor`` is a ``SingleRoIExtractor`` of mmcv
    ``RoIAlign`` layers in average mode."""
    kind = type(extractor).__name__
    if kind != 'SingleRoIExtractor':
        raise ValueError(f'The {name} is a {kind}; the ONNX export covers '
                         'SingleRoIExtractor.')
    for layer in extractor.roi_layers:
        if (type(layer).__name__ != 'RoIAlign'
                or getattr(layer, 'pool_mode', 'avg') != 'avg'):
            raise ValueError(f'The {name} pools with {type(layer).__name__} '
                             f'({getattr(layer, "pool_mode", "")}); the '
                             'ONNX export covers RoIAlign in average mode.')


class RPNExport(nn.Module):
    """``(N, 3, H, W) ->`` the neck features of every level, then the RPN
    class scores of every level, then its box deltas."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        feats = self.model.extract_feat(inputs)
        cls_scores, bbox_preds = self.model.rpn_head(feats)
        return tuple(feats) + tuple(cls_scores) + tuple(bbox_preds)


class RoIHeadExport(nn.Module):
    """``(features of the RoI levels..., rois (K, 5)) ->`` the outputs of
    ``head`` on the RoI features of ``extractor``: ``(cls_score (K, C + 1),
    bbox_pred (K, 4 C))`` of a box head, ``(K, C, S, S)`` mask logits of a
    mask head."""

    def __init__(self, extractor: nn.Module, head: nn.Module,
                 name: str) -> None:
        super().__init__()
        _check_extractor(extractor, name)
        self.extractor = extractor
        self.head = head

    def forward(self, *inputs: torch.Tensor
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        outputs = self.head(roi_features(self.extractor, inputs[:-1],
                                         inputs[-1]))
        return tuple(outputs) if isinstance(outputs, tuple) else outputs


def roi_head_stages(roi_head: nn.Module) -> Optional[int]:
    """The number of stages of a ``CascadeRoIHead``, ``None`` for a
    ``StandardRoIHead``; raises for the RoI heads the export does not
    cover."""
    kind = type(roi_head).__name__
    if kind not in ('StandardRoIHead', 'CascadeRoIHead'):
        raise ValueError(
            f'The detector has a {kind}; the ONNX export of two-stage '
            'detectors covers StandardRoIHead (Faster / Mask R-CNN) and '
            'CascadeRoIHead (Cascade (Mask) R-CNN).')
    if roi_head.with_shared_head:
        raise ValueError('The ONNX export does not cover RoI heads with '
                         'a shared head.')
    return roi_head.num_stages if kind == 'CascadeRoIHead' else None


def roi_graphs(roi_head: nn.Module) -> Dict[str, RoIHeadExport]:
    """The box and mask graphs of ``roi_head`` by name: ``bbox`` and
    ``mask`` for a standard head, ``bbox{i}`` and ``mask{i}`` for stage
    ``i`` of a cascade."""
    stages = roi_head_stages(roi_head)
    parts = [('bbox', roi_head.bbox_roi_extractor, roi_head.bbox_head)]
    if roi_head.with_mask:
        parts.append(('mask', roi_head.mask_roi_extractor,
                      roi_head.mask_head))
    graphs = {}
    for key, extractors, heads in parts:
        name = f'{key}_roi_extractor'
        if stages is None:
            graphs[key] = RoIHeadExport(extractors, heads, name)
            continue
        for stage in range(stages):
            graphs[f'{key}{stage}'] = RoIHeadExport(
                extractors[stage], heads[stage], f'{name}[{stage}]')
    return graphs


class TwoStageDetectorExport(nn.Module):
    """The graphs of a two-stage mmdet detector: :attr:`rpn` and the RoI
    graphs :attr:`roi` by name (:func:`roi_graphs`); see the module
    docstring."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.rpn = RPNExport(model)
        self.roi = nn.ModuleDict(roi_graphs(model.roi_head))

    def graphs(self) -> Dict[str, nn.Module]:
        """The modules to export by graph name, ``rpn`` first."""
        return {'rpn': self.rpn, **self.roi}

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The first graph's outputs (as :class:`RPNExport`)."""
        return self.rpn(inputs)

    def export(self, example: torch.Tensor, out: Optional[str] = None,
               opset: int = DEFAULT_OPSET) -> Dict[str, bytes]:
        """Export every graph, the RoI graphs traced on ``example``'s
        features and three fixed boxes; the files' bytes by graph name
        (written to :func:`graph_path` ``(out, name)`` when ``out`` is
        given). Batch, height, width and the number of RoIs are
        symbolic."""
        if opset < ROI_OPSET:
            raise ExportError(
                f'opset {opset} is too old for a two-stage detector: ONNX '
                f'RoiAlign has aligned (half_pixel) boxes from opset '
                f'{ROI_OPSET}; use --opset {ROI_OPSET} or newer.')
        paths = {name: graph_path(out, name) if out else None
                 for name in self.graphs()}
        files = {'rpn': export_onnx(self.rpn, example, paths['rpn'],
                                    opset=opset)}
        with torch.no_grad():
            feats = self.model.extract_feat(example)
        height, width = example.shape[2:]
        rois = torch.tensor([[0., 0., 0., width - 1., height - 1.],
                             [0., 4., 6., 40., 30.],
                             [0., 1., 1., 9., 12.]])
        for name, module in self.roi.items():
            levels = len(module.extractor.roi_layers)
            files[name] = export_roi_graph(module, feats[:levels], rois,
                                           paths[name], opset)
        return files


def feature_names(levels: int) -> List[str]:
    """The RoI graphs' feature inputs."""
    return [f'feat{i}' for i in range(levels)]


def export_roi_graph(module: nn.Module, feats: Sequence[torch.Tensor],
                     rois: torch.Tensor, path: Optional[str] = None,
                     opset: int = DEFAULT_OPSET) -> bytes:
    """Export ``module(*feats, rois)`` with symbolic batch, feature sizes
    and number of RoIs; the file's bytes (also written to ``path``)."""
    module = module.eval()
    inputs = tuple(feats) + (rois, )
    with torch.no_grad():
        outputs = module(*inputs)
    count = len(outputs) if isinstance(outputs, tuple) else 1
    names = feature_names(len(feats))
    axes = {n: {0: 'batch', 2: f'height{i}', 3: f'width{i}'}
            for i, n in enumerate(names)}
    axes[ROIS_NAME] = {0: 'rois'}
    output_names = [f'output{i}' for i in range(count)]
    for name in output_names:
        axes[name] = {0: 'rois'}
    buffer = io.BytesIO()
    try:
        with onnx_rewrites(module), torch.enable_grad():
            torch.onnx.export(module, inputs, buffer, dynamo=False,
                              opset_version=opset,
                              input_names=names + [ROIS_NAME],
                              output_names=output_names, dynamic_axes=axes,
                              do_constant_folding=True)
    except Exception as err:
        raise ExportError(f'torch.onnx.export failed for '
                          f'{type(module).__name__}: {err}') from err
    data = _copy_shared_initializers(buffer.getvalue())
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
    return data


def run_roi_graph(session: ort.InferenceSession, x: Sequence[torch.Tensor],
                  rois: torch.Tensor) -> List[torch.Tensor]:
    """The outputs of a RoI graph's ``session`` on the features it takes
    (the finest levels of ``x``) and ``rois``."""
    names = [i.name for i in session.get_inputs() if i.name != ROIS_NAME]
    feed = {n: x[i].numpy() for i, n in enumerate(names)}
    feed[ROIS_NAME] = rois.float().numpy()
    return [torch.from_numpy(o) for o in session.run(None, feed)]


def _roi_runner(sessions: Dict[str, ort.InferenceSession], key: str,
                cascade: bool) -> Callable[..., Dict[str, torch.Tensor]]:
    """A stand-in for the RoI head's ``_bbox_forward`` (``key``
    ``'bbox'``) or ``_mask_forward`` (``'mask'``), ``(x, rois)`` of a
    standard head or ``(stage, x, rois)`` of a cascade, that runs the
    graph of that head (and stage) in ONNX Runtime."""

    def forward(*args: object, **kwargs: object) -> Dict[str, torch.Tensor]:
        names = (('stage', ) if cascade else ()) + ('x', 'rois')
        bound = dict(zip(names, args), **kwargs)
        graph = f'{key}{bound["stage"]}' if cascade else key
        outputs = run_roi_graph(sessions[graph], bound['x'], bound['rois'])
        if key == 'bbox':
            return dict(cls_score=outputs[0], bbox_pred=outputs[1])
        return dict(mask_preds=outputs[0])

    return forward


@contextlib.contextmanager
def _ort_roi_forwards(roi_head: nn.Module,
                      sessions: Dict[str, ort.InferenceSession]
                      ) -> Iterator[None]:
    """Within the block, ``roi_head`` runs its box (and mask) heads
    through the ONNX Runtime sessions; restored on exit."""
    cascade = roi_head_stages(roi_head) is not None
    methods = {'bbox': '_bbox_forward', 'mask': '_mask_forward'}
    patched = []
    try:
        for key, method in methods.items():
            if any(name.startswith(key) for name in sessions):
                setattr(roi_head, method,
                        _roi_runner(sessions, key, cascade))
                patched.append(method)
        yield
    finally:
        for method in patched:
            delattr(roi_head, method)


def image_metas(shape: Tuple[int, int], batch: int) -> List[dict]:
    """mmdet image metas of an un-resized, un-padded ``(H, W)`` input."""
    return [dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                 batch_input_shape=shape, scale_factor=(1., 1.))
            for _ in range(batch)]


def two_stage_detections(detector: nn.Module,
                         sessions: Dict[str, ort.InferenceSession],
                         inputs: torch.Tensor,
                         rescale: bool = True) -> List[InstanceData]:
    """The detections of a two-stage detector with its networks in ONNX
    Runtime: the ``rpn`` graph, mmdet's ``rpn_head.predict_by_feat``
    (proposals), then ``roi_head.predict`` (box decoding, NMS, mask
    pasting as in PyTorch) with the box and mask heads run by the
    ``bbox`` and ``mask`` sessions.

    Args:
        detector: the PyTorch detector the graphs were exported from.
        sessions: ONNX Runtime sessions by graph name (``rpn`` and those
            of :func:`roi_graphs`).
        inputs: the ``(N, 3, H, W)`` normalised image batch.

    Returns:
        ``InstanceData`` per image (``bboxes``, ``scores``, ``labels`` and
        with a mask head ``masks``), as ``detector.predict`` returns in
        ``pred_instances``.
    """
    from mmdet.structures import DetDataSample
    outputs = [torch.from_numpy(o) for o in run_ort(sessions['rpn'], inputs)]
    levels = len(outputs) // 3
    feats = tuple(outputs[:levels])
    metas = image_metas(tuple(inputs.shape[2:]), inputs.shape[0])
    samples = [DetDataSample(metainfo=meta) for meta in metas]
    roi_head = detector.roi_head
    with torch.no_grad(), _ort_roi_forwards(roi_head, sessions):
        proposals = detector.rpn_head.predict_by_feat(
            list(outputs[levels:2 * levels]), list(outputs[2 * levels:]),
            batch_img_metas=metas, rescale=False)
        return roi_head.predict(feats, proposals, samples, rescale=rescale)


def torch_detections(detector: nn.Module, inputs: torch.Tensor,
                     rescale: bool = True) -> List[InstanceData]:
    """``detector.predict`` on an un-resized, un-padded batch: the
    ``pred_instances`` of each image."""
    from mmdet.structures import DetDataSample
    metas = image_metas(tuple(inputs.shape[2:]), inputs.shape[0])
    samples = [DetDataSample(metainfo=meta) for meta in metas]
    with torch.no_grad():
        results = detector.predict(inputs, samples, rescale=rescale)
    return [r.pred_instances for r in results]


def match_detections(ours: InstanceData, theirs: InstanceData
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """For each of PyTorch's detections (``theirs``), the index of the
    ONNX Runtime detection (``ours``) of the same label whose box is
    nearest, and that distance (the largest corner difference; ``inf``
    where ``ours`` has no detection of that label). Order-free: NMS and
    the top-k cut order detections of equal scores arbitrarily, and
    random heads give many equal scores."""
    dist = torch.cdist(theirs.bboxes.double(), ours.bboxes.double(),
                       p=float('inf'))
    dist[theirs.labels[:, None] != ours.labels[None]] = float('inf')
    distance, index = dist.min(1)
    return index, distance


def detection_agreement(ours: InstanceData,
                        theirs: InstanceData) -> Dict[str, float]:
    """How ONNX Runtime's detections (``ours``) agree with PyTorch's: their
    numbers, and when equal, with each of PyTorch's paired by
    :func:`match_detections`: ``label_agreement``, the share paired with a
    detection of the same label within 1e-3 of the largest PyTorch
    coordinate; over those pairs the largest box corner difference in
    pixels (``max_box_diff``) and relative to that coordinate
    (``max_box_rel_diff``) and the largest score difference; with masks,
    the share of mask pixels that differ. Random heads saturate their
    scores, so a run's last kept detections can tie at float precision
    with ones that did not make the cut."""
    result = {'detections_torch': float(len(theirs)),
              'detections_ort': float(len(ours))}
    if len(ours) != len(theirs) or not len(ours):
        return result
    scale = max(float(theirs.bboxes.abs().max()), 1e-12)
    index, distance = match_detections(ours, theirs)
    paired = distance <= 1e-3 * scale
    result['label_agreement'] = float(paired.double().mean())
    if paired.any():
        box = float(distance[paired].max())
        result.update(
            max_box_diff=box, max_box_rel_diff=box / scale,
            max_score_diff=float((ours.scores[index] - theirs.scores
                                  )[paired].abs().max()))
    if 'masks' in theirs:
        differ = np.asarray(ours.masks)[index.numpy()] != np.asarray(
            theirs.masks)
        result['mask_pixel_disagreement'] = float(differ.mean())
    return result
