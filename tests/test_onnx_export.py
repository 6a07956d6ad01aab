"""ONNX export (``mmcnn.deploy``, ``tools/deploy/export_onnx.py``): every
backbone family in its deploy form exports with symbolic batch, height and
width, passes ``onnx.checker`` with standard operators only, and ONNX
Runtime matches PyTorch at two input sizes (one odd); the export-time
rewrites compute what the PyTorch ops compute; the task models (classifier,
UperNet, Semantic FPN, RetinaNet with its post-processing, Mask R-CNN as
three graphs and Cascade Mask R-CNN as seven with mmdet's post-processing
between them, top-down pose; on backbones whose export needs a rewrite)
match too, at the export size and an odd one."""
import importlib.util
import os.path as osp

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F
from _helpers import FAMILIES, TINY_ARCHS, randomise, small_arch
from mmengine.config import Config

from mmcnn.analysis import build_task_model, switch_to_deploy
from mmcnn.deploy import (ExportError, TwoStageDetectorExport, check_onnx,
                          compare, detection_agreement, export_module,
                          export_onnx, max_relative_difference,
                          match_detections, onnx_rewrites, ort_session,
                          run_ort, run_torch, task_agreement,
                          torch_detections, two_stage_detections)
from mmcnn.deploy.models import DetectorExport
from mmcnn.deploy.rewrites import (dft_global_filter, gather_dcnv3,
                                   pooling_matrix)
from mmcnn.deploy.two_stage import roi_features
from mmcnn.models.backbones.hornet import GlobalLocalFilter
from mmcnn.models.layers import GRN
from mmcnn.models.layers import dcnv3 as dcnv3_module
from mmcnn.registry import MODELS
from tools.deploy import export_onnx as export_tool

TOLERANCE = 1e-4
SIZES = ((64, 64), (97, 75))
CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                   'configs')


def _deploy_backbone(name: str) -> torch.nn.Module:
    model = randomise(MODELS.build(dict(type=name, arch=small_arch(name))))
    model.eval().switch_to_deploy()
    return model


@pytest.mark.parametrize('name', FAMILIES)
def test_backbone_matches_onnx_runtime_at_two_sizes(name):
    """One dynamic export serves a square and an odd input; every stage
    output matches PyTorch within 1e-4 (shapes included)."""
    model = _deploy_backbone(name)
    data = export_onnx(model, torch.randn(1, 3, *SIZES[0]), dynamic=True)
    ops = check_onnx(data)
    assert 'Conv' in ops
    graph_input = onnx.load_from_string(data).graph.input[0]
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.dim_param for d in dims] == ['batch', '', 'height', 'width']
    session = ort_session(data)
    torch.manual_seed(0)
    for size in SIZES:
        result = compare(model, session, torch.randn(1, 3, *size))
        assert result.max_rel_diff <= TOLERANCE, (size, result)


@pytest.mark.parametrize('name', ['HorNet', 'InternImage'])
def test_opset_13(name):
    """The rewritten families export at the oldest opset accepted."""
    model = _deploy_backbone(name)
    data = export_onnx(model, torch.randn(1, 3, 64, 64), opset=13)
    assert onnx.load_from_string(data).opset_import[0].version == 13
    result = compare(model, ort_session(data), torch.randn(1, 3, 97, 75))
    assert result.max_rel_diff <= TOLERANCE


def test_old_opset_is_refused_clearly():
    with pytest.raises(ExportError, match='opset 12 is too old'):
        export_onnx(_deploy_backbone('VAN'), torch.randn(1, 3, 64, 64),
                    opset=12)


def test_dynamic_batch():
    """The batch axis is symbolic too: a batch of 2 matches."""
    model = _deploy_backbone('ConvNeXt')
    session = ort_session(export_onnx(model, torch.randn(1, 3, 64, 64)))
    result = compare(model, session, torch.randn(2, 3, 75, 97))
    assert result.max_rel_diff <= TOLERANCE


def test_equal_constants_load_in_onnx_runtime():
    """PoolFormer at its initial weights: the folded layer scales of the
    two blocks are equal constants, which the exporter shares through
    Identity nodes that ONNX Runtime's optimiser mishandles; the export
    copies them, so the session loads and matches."""
    arch = dict(embed_dims=[8, 16, 24, 32], depths=[2, 1, 1, 1],
                mlp_ratios=[2] * 4)
    model = MODELS.build(dict(type='PoolFormer', arch=arch)).eval()
    model.switch_to_deploy()
    data = export_onnx(model, torch.randn(1, 3, 64, 64))
    assert 'Identity' not in check_onnx(data)
    result = compare(model, ort_session(data), torch.randn(1, 3, 75, 97))
    assert result.max_rel_diff <= TOLERANCE


@pytest.mark.parametrize('size', [(14, 8), (14, 14), (7, 7), (9, 6), (5, 1)])
def test_dft_global_filter_is_the_fft_product(size):
    """HorNet's global filter as DFT matrix products equals torch.fft's
    ``irfft2(rfft2(x) * W)`` for even and odd sides."""
    height, width = size
    x = torch.randn(2, 3, height, width, dtype=torch.float64)
    weight = torch.randn(3, height, width // 2 + 1, 2, dtype=torch.float64)
    spectrum = torch.fft.rfft2(x, dim=(2, 3), norm='ortho')
    expected = torch.fft.irfft2(spectrum * torch.view_as_complex(weight),
                                s=size, dim=(2, 3), norm='ortho')
    torch.testing.assert_close(dft_global_filter(x, weight), expected,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('out', [1, 2, 3, 6])
def test_pooling_matrices_are_adaptive_average_pooling(out):
    x = torch.randn(1, 4, 13, 7, dtype=torch.float64)
    pooled = (pooling_matrix(13, out, x.dtype) @ x
              @ pooling_matrix(7, out, x.dtype).t())
    torch.testing.assert_close(pooled, F.adaptive_avg_pool2d(x, out))


def test_gather_dcnv3_is_the_dcnv3_core():
    """The gather form of the DCNv3 sampling equals the PyTorch operator
    (offsets reaching outside the map included)."""
    n, h, w, groups, channels, k = 2, 7, 9, 2, 8, 3
    x = torch.randn(n, h, w, channels)
    offset = torch.randn(n, h, w, groups * k * k * 2) * 3
    mask = torch.rand(n, h, w, groups * k * k)
    expected = dcnv3_module.dcnv3_core(x, offset, mask, groups, k)
    out = gather_dcnv3(x, offset.view(n, h, w, groups, k * k, 2),
                       mask.view(n, h, w, groups, k * k), k, 1, 1, 1, 1.)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_rewrites_are_undone():
    """After the export the model runs its own PyTorch code again."""
    model = _deploy_backbone('InternImage')
    original = dcnv3_module.DCNv3Function
    addcmul = torch.addcmul
    with onnx_rewrites(model) as names:
        assert 'mmcnn.models.layers.dcnv3.DCNv3Function' in names
        assert dcnv3_module.DCNv3Function is not original
        assert torch.addcmul is not addcmul
    assert dcnv3_module.DCNv3Function is original
    assert torch.addcmul is addcmul
    hornet = _deploy_backbone('HorNet')
    filters = [m for m in hornet.modules() if isinstance(m, GlobalLocalFilter)]
    with onnx_rewrites(hornet) as names:
        assert len(names) == len(filters) + 2 and filters
        assert all('global_filter' in vars(m) for m in filters)
    assert not any('global_filter' in vars(m) for m in filters)


class _ChannelsLastGRN(torch.nn.Module):
    """GRN on an NCHW input (the export takes an image batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.grn = GRN(8)
        torch.nn.init.normal_(self.grn.gamma)
        torch.nn.init.normal_(self.grn.beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.grn(x.permute(0, 2, 3, 1))


def test_grn_in_float16_stays_finite():
    """Responses whose squares sum far beyond float16's 65504 (values of
    1e3 over a 24x24 map): the float16 export has no sum of squares and
    stays finite and within float16 rounding of float32 PyTorch."""
    model = _ChannelsLastGRN().eval()
    x = torch.randn(1, 8, 24, 24) * 1e3
    data = export_onnx(model, x, fp16=True)
    ops = check_onnx(data)
    assert not {'ReduceL2', 'ReduceSumSquare'} & set(ops)
    out = run_ort(ort_session(data), x)
    assert out[0].dtype == np.float16 and np.isfinite(out[0]).all()
    assert max_relative_difference(run_torch(model, x), out) <= 1e-2


@pytest.mark.parametrize('name', FAMILIES)
def test_backbone_in_float16(name):
    """Every family exports in float16 (ConvFormer, FocalNet and VAN need
    ``addcmul`` without its cast to float32) and matches float32 PyTorch
    within float16 rounding."""
    model = _deploy_backbone(name)
    x = torch.randn(1, 3, 64, 64)
    session = ort_session(export_onnx(model, x, fp16=True))
    assert 'float16' in session.get_inputs()[0].type
    assert compare(model, session, x).max_rel_diff <= 1e-2


def _task_model(config: str, **options) -> torch.nn.Module:
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    cfg.merge_from_dict(options)
    model = build_task_model(cfg)
    switch_to_deploy(model)
    return model


def _tiny_backbone(name: str, out_indices: tuple) -> dict:
    """Config options replacing a task model's backbone by family
    ``name``'s tiny test arch; returns them with the stage widths under
    ``'widths'`` for the neck or head."""
    arch = TINY_ARCHS[name]
    return {'model.backbone': dict(_delete_=True, type=f'mmcnn.{name}',
                                   arch=arch, out_indices=out_indices),
            'widths': [arch['embed_dims'][i] for i in out_indices]}


def _export_and_compare(module: torch.nn.Module, task: str) -> list:
    """Export ``module`` at the first size, compare at both; the task
    agreements at each size."""
    session = ort_session(export_onnx(module, torch.randn(1, 3, *SIZES[0])))
    torch.manual_seed(0)
    agreements = []
    for size in SIZES:
        x = torch.randn(1, 3, *size)
        reference, outputs = run_torch(module, x), run_ort(session, x)
        assert max_relative_difference(reference, outputs) <= TOLERANCE
        agreements.append(
            task_agreement(task, module, reference, outputs, size))
    return agreements


def test_classifier():
    """An mmpretrain classifier on a tiny UniRepLKNet (GRN, dilated
    re-param kernels merged)."""
    options = _tiny_backbone('UniRepLKNet', (3, ))
    model = _task_model('cls/moganet/moganet-xt_8xb128_in1k.py',
                        **{'model.backbone': options['model.backbone'],
                           'model.head.in_channels': options['widths'][0]})
    for agreement in _export_and_compare(export_module(model, 'cls'), 'cls'):
        assert agreement['top1_agreement'] == 1.


def test_upernet_logits_and_argmax():
    """UperNet on a tiny InternImage (DCNv3 as gathers, PPM pooling in the
    graph, dynamic): logits at the input size within 1e-4 and the same
    class at every pixel but float ties."""
    options = _tiny_backbone('InternImage', (0, 1, 2, 3))
    widths = options.pop('widths')
    model = _task_model(
        'seg/moganet/moganet-xt_upernet_8xb2-160k_ade20k-512x512.py',
        **options, **{'model.decode_head.in_channels': widths,
                      'model.decode_head.channels': 32,
                      'model.auxiliary_head.in_channels': widths[2],
                      'model.auxiliary_head.channels': 16})
    module = export_module(model, 'seg')
    for agreement in _export_and_compare(module, 'seg'):
        assert agreement['argmax_agreement'] > 0.999
        assert agreement['argmax_differences_beyond_ties'] == 0
    x = torch.randn(1, 3, *SIZES[1])
    assert run_torch(module, x)[0].shape[2:] == SIZES[1]


def test_semantic_fpn_is_dynamic():
    """Semantic FPN (mmseg ``FPNHead``, whose scale heads upsample by 2 with
    mmseg's ``Upsample``) on a tiny PoolFormer: exported at 64x64, its
    logits match at 97x75 too."""
    options = _tiny_backbone('PoolFormer', (0, 1, 2, 3))
    widths = options.pop('widths')
    model = _task_model(
        'seg/moganet/moganet-xt_fpn_8xb4-80k_ade20k-512x512.py', **options,
        **{'model.neck.in_channels': widths, 'model.neck.out_channels': 16,
           'model.decode_head.in_channels': [16] * 4,
           'model.decode_head.channels': 16})
    for agreement in _export_and_compare(export_module(model, 'seg'),
                                         'seg'):
        assert agreement['argmax_differences_beyond_ties'] == 0


def test_retinanet_outputs_and_detections():
    """RetinaNet on a tiny HorNet with global filters (DFT matrices built
    in the graph): its raw outputs (5 levels of scores and deltas) match,
    and mmdet's decoding and NMS on them give the same detections (score
    threshold 0 so that a randomly initialised head detects)."""
    options = _tiny_backbone('HorNet', (0, 1, 2, 3))
    model = _task_model('det/moganet/retinanet_moganet-xt_fpn_20e_demo.py',
                        **{'model.backbone': options['model.backbone'],
                           'model.neck.in_channels': options['widths'],
                           'model.test_cfg.score_thr': 0.})
    module = export_module(model, 'det')
    for agreement in _export_and_compare(module, 'det'):
        assert agreement['detections_torch'] > 0
        assert agreement['detections_ort'] == agreement['detections_torch']
        assert agreement['max_box_diff'] < 1e-2
        assert agreement['max_score_diff'] < 1e-4


def _mask_rcnn(config: str = 'mask-rcnn_moganet-xt_fpn_1x_coco.py',
               width: int = 32) -> torch.nn.Module:
    """A Mask R-CNN (or Cascade) config on a tiny ConvFormer, heads
    ``width`` channels wide, randomised weights, every class scored (score
    threshold 0) and 30 detections kept. ConvFormer's stage outputs are
    contiguous: mmcv's ``RoIAlign`` reads a channels-last map (the outputs
    of HorNet, MogaNet, VAN and others) as if it were contiguous on the
    CPU, so PyTorch would not be a valid reference on those."""
    options = _tiny_backbone('ConvFormer', (0, 1, 2, 3))
    roi = 'model.roi_head.'
    model = _task_model(
        f'det/moganet/{config}', **{
            'model.backbone': options['model.backbone'],
            'model.neck.in_channels': options['widths'],
            'model.neck.out_channels': width,
            'model.rpn_head.in_channels': width,
            'model.rpn_head.feat_channels': width,
            roi + 'bbox_roi_extractor.out_channels': width,
            roi + 'mask_roi_extractor.out_channels': width,
            roi + 'bbox_head.in_channels': width,
            roi + 'bbox_head.fc_out_channels': 2 * width,
            roi + 'mask_head.in_channels': width,
            roi + 'mask_head.conv_out_channels': width,
            'model.test_cfg.rpn.max_per_img': 200,
            'model.test_cfg.rcnn.score_thr': 0.,
            'model.test_cfg.rcnn.max_per_img': 30})
    return randomise(model).eval()


def test_detections_are_compared_order_free():
    """Detections of equal scores may leave NMS in either order: each
    PyTorch detection is compared with the ONNX Runtime one of its label
    at the nearest box, so a reordering agrees exactly and a changed label
    or box does not."""
    from mmengine.structures import InstanceData
    theirs = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 10.], [5., 5., 20., 30.],
                             [1., 2., 3., 4.]]),
        scores=torch.tensor([.9, .9, .5]), labels=torch.tensor([1, 2, 1]))
    order = torch.tensor([1, 0, 2])
    ours = InstanceData(bboxes=theirs.bboxes[order],
                        scores=theirs.scores[order],
                        labels=theirs.labels[order])
    agreement = detection_agreement(ours, theirs)
    assert agreement['label_agreement'] == 1.
    assert agreement['max_box_rel_diff'] == agreement['max_score_diff'] == 0
    ours.labels = torch.tensor([1, 1, 1])
    ours.bboxes = ours.bboxes + torch.tensor([0., 0., 0., 1 / 64])
    agreement = detection_agreement(ours, theirs)
    assert agreement['label_agreement'] == 2 / 3
    assert agreement['max_box_rel_diff'] == 1 / 64 / 30
    index, distance = match_detections(ours, theirs)
    assert index.tolist()[0::2] == [1, 2]
    assert distance.tolist()[0::2] == [1 / 64, 1 / 64]


def test_roi_features_are_the_mmdet_extractor():
    """The level mapping and torchvision's ``roi_align`` equal mmdet's
    ``SingleRoIExtractor`` (mmcv ``RoIAlign``, aligned) on RoIs of every
    level, small and partly outside the image included."""
    extractor = _mask_rcnn().roi_head.bbox_roi_extractor
    feats = [torch.randn(2, 32, 64 // 2**i, 80 // 2**i) for i in range(4)]
    rois = torch.tensor([[0, 3., 5., 60., 70.], [1, 10., 10., 20., 25.],
                         [0, 0., 0., 319., 255.], [1, 50.3, 20.7, 52.1, 23.9],
                         [0, -20., -8., 140., 120.],
                         [1, -50., -40., 500., 460.]])
    levels = extractor.map_roi_levels(rois, 4)
    assert set(levels.tolist()) == {0, 1, 2, 3}
    torch.testing.assert_close(roi_features(extractor, feats, rois),
                               extractor(feats, rois), rtol=1e-6, atol=1e-6)


def _assert_same_detections(agreement: dict, count: int) -> None:
    """``count`` detections from both runtimes, every PyTorch one paired
    (same label, box within 1e-3 of the largest coordinate), scores within
    1e-4 and at most 0.1 % of the mask pixels different."""
    assert agreement['detections_torch'] == count, agreement
    assert agreement['detections_ort'] == count, agreement
    assert agreement['label_agreement'] == 1., agreement
    assert agreement['max_box_rel_diff'] < 1e-3, agreement
    assert agreement['max_score_diff'] < 1e-4, agreement
    assert agreement['mask_pixel_disagreement'] <= 1e-3, agreement


def test_mask_rcnn_graphs_and_detections():
    """Mask R-CNN as three graphs (RPN, box head, mask head; standard
    operators, RoiAlign among them) run in ONNX Runtime with mmdet's
    proposal, decoding, NMS and mask pasting in between: the same
    detections as ``model.predict`` at two sizes (one the export size,
    one not), labels identical, boxes within 1e-3 of the largest
    coordinate, masks equal on all but 0.1 % of the pixels (a mask
    probability within float rounding of the 0.5 threshold may flip)."""
    model = _mask_rcnn()
    module = export_module(model, 'det')
    assert isinstance(module, TwoStageDetectorExport)
    files = module.export(torch.randn(1, 3, 128, 160))
    assert set(files) == {'rpn', 'bbox', 'mask'}
    assert 'RoiAlign' in check_onnx(files['bbox'])
    assert 'RoiAlign' in check_onnx(files['mask'])
    sessions = {name: ort_session(data) for name, data in files.items()}
    torch.manual_seed(0)
    for size in ((128, 160), (96, 128)):
        x = torch.randn(1, 3, *size)
        ours = two_stage_detections(model, sessions, x)[0]
        theirs = torch_detections(model, x)[0]
        _assert_same_detections(detection_agreement(ours, theirs), 30)
        assert ours.masks.shape == theirs.masks.shape == (30, *size)


def _cascade_mask_rcnn(width: int = 16) -> torch.nn.Module:
    """Cascade Mask R-CNN (three box stages with 4conv1fc heads, three
    mask heads) on a tiny ConvFormer, heads ``width`` channels wide,
    randomised weights, every class scored and 20 detections kept."""
    cfg = Config.fromfile(osp.join(
        CONFIGS, 'det/moganet/cascade-mask-rcnn_moganet-s_fpn_4conv1fc-'
        'giou_ms-crop-3x_coco.py'))
    options = _tiny_backbone('ConvFormer', (0, 1, 2, 3))
    cfg.merge_from_dict({
        'model.backbone': options['model.backbone'],
        'model.neck.in_channels': options['widths'],
        'model.neck.out_channels': width,
        'model.rpn_head.in_channels': width,
        'model.rpn_head.feat_channels': width,
        'model.roi_head.bbox_roi_extractor.out_channels': width,
        'model.roi_head.mask_roi_extractor.out_channels': width,
        'model.roi_head.mask_head.in_channels': width,
        'model.roi_head.mask_head.conv_out_channels': width,
        'model.test_cfg.rpn.max_per_img': 100,
        'model.test_cfg.rcnn.score_thr': 0.,
        'model.test_cfg.rcnn.max_per_img': 20})
    for head in cfg.model.roi_head.bbox_head:
        head.update(in_channels=width, conv_out_channels=width,
                    fc_out_channels=2 * width)
    model = build_task_model(cfg)
    switch_to_deploy(model)
    return randomise(model).eval()


def test_cascade_mask_rcnn_graphs_and_detections():
    """Cascade Mask R-CNN as seven graphs (RPN, a box and a mask graph per
    stage) with mmdet's refinement between the box stages and its mask
    averaging: the same detections as ``model.predict`` at the export size
    and an odd one (tolerances as Mask R-CNN's)."""
    model = _cascade_mask_rcnn()
    module = export_module(model, 'det')
    files = module.export(torch.randn(1, 3, 96, 128))
    assert list(files) == ['rpn', 'bbox0', 'bbox1', 'bbox2', 'mask0',
                           'mask1', 'mask2']
    sessions = {name: ort_session(data) for name, data in files.items()}
    torch.manual_seed(0)
    for size in ((96, 128), (81, 123)):
        x = torch.randn(1, 3, *size)
        _assert_same_detections(detection_agreement(
            two_stage_detections(model, sessions, x)[0],
            torch_detections(model, x)[0]), 20)


def test_cascade_runs_every_stage_graph():
    """The ONNX Runtime pipeline of a cascade calls each stage's own box
    graph: with stage 2's graph swapped for stage 0's, the detections
    change."""
    model = _cascade_mask_rcnn()
    files = export_module(model, 'det').export(torch.randn(1, 3, 64, 64))
    sessions = {name: ort_session(data) for name, data in files.items()}
    x = torch.randn(1, 3, 64, 64)
    right = two_stage_detections(model, sessions, x)[0]
    sessions['bbox2'] = sessions['bbox0']
    wrong = two_stage_detections(model, sessions, x)[0]
    assert not torch.allclose(right.scores, wrong.scores)


def test_two_stage_export_refusals_are_clear():
    """The single-stage export refuses Mask R-CNN; the two-stage one
    refuses opsets without aligned RoiAlign and RoI heads it does not
    cover."""
    model = _mask_rcnn()
    with pytest.raises(ValueError, match='two-stage detector; export it'):
        DetectorExport(model)
    with pytest.raises(ExportError, match='opset 15 is too old'):
        TwoStageDetectorExport(model).export(torch.randn(1, 3, 64, 64),
                                             opset=15)
    model.roi_head.__class__ = type('SparseRoIHead',
                                    (type(model.roi_head), ), {})
    with pytest.raises(ValueError, match='SparseRoIHead; the ONNX export'):
        export_module(model, 'det')


def test_topdown_pose_heatmaps():
    """Top-down heatmaps on a tiny FocalNet (its padding in the graph)."""
    options = _tiny_backbone('FocalNet', (3, ))
    model = _task_model(
        'pose/moganet/td-hm_moganet-xt_1xb8-10e_demo-96x64.py',
        **{'model.backbone': options['model.backbone'],
           'model.head.in_channels': options['widths'][0]})
    assert _export_and_compare(export_module(model, 'pose'), 'pose')


def test_tool_exports_and_compares_on_a_real_image(tmp_path, shared_data):
    out = tmp_path / 'van.onnx'
    image = osp.join(shared_data, 'coco_sample', '000000000785.jpg')
    report = export_tool.main([
        'van-b0', '--out', str(out), '--dynamic', '--shape', '64', '96',
        '--image', image, '--rounds', '1'
    ])
    assert out.is_file()
    check_onnx(str(out))
    assert set(report) >= {'random 64x96', 'random 81x123',
                           'image 000000000785.jpg', 'torch_ms', 'ort_ms'}
    assert report['max_rel_diff'] <= TOLERANCE


def test_tool_exports_the_checkpoint_weights(tmp_path):
    """With a checkpoint, the file computes the checkpoint's model: ORT on
    the written file matches a reference built from the same weights."""
    reference = randomise(MODELS.build(dict(type='VAN', arch='b0'))).eval()
    checkpoint = tmp_path / 'van.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                               reference.state_dict().items()}}, checkpoint)
    out = tmp_path / 'van.onnx'
    export_tool.main(['van-b0', str(checkpoint), '--out', str(out),
                      '--shape', '64', '--rounds', '0'])
    reference.switch_to_deploy()
    result = compare(reference, ort_session(str(out)),
                     torch.randn(1, 3, 64, 64))
    assert result.max_rel_diff <= TOLERANCE


def test_tool_fails_beyond_the_tolerance(tmp_path, capsys):
    """A tolerance no export meets (0) makes the tool exit with status 1
    and say why."""
    with pytest.raises(SystemExit) as exit_info:
        export_tool.main(['van-b0', '--out', str(tmp_path / 'van.onnx'),
                          '--shape', '64', '--rounds', '0', '--tolerance',
                          '0'])
    assert exit_info.value.code == 1
    assert 'FAILED' in capsys.readouterr().out


def test_tool_exports_mask_rcnn_as_three_graphs(tmp_path):
    """A Mask R-CNN config is written as three files and its ONNX Runtime
    pipeline gives PyTorch's detections at the export size and a second,
    odd one (default initial weights, every class scored)."""
    config = tmp_path / 'mask_rcnn_convformer.py'
    base = osp.join(CONFIGS, 'det/moganet/mask-rcnn_moganet-xt_fpn_1x_coco.py')
    arch = TINY_ARCHS['ConvFormer']
    config.write_text(
        f'_base_ = [{base!r}]\n'
        f'model = dict(backbone=dict(_delete_=True, type="mmcnn.ConvFormer", '
        f'arch={arch!r}, out_indices=(0, 1, 2, 3)), '
        f'neck=dict(in_channels={arch["embed_dims"]!r}, out_channels=16), '
        'rpn_head=dict(in_channels=16, feat_channels=16), '
        'roi_head=dict(bbox_roi_extractor=dict(out_channels=16), '
        'bbox_head=dict(in_channels=16, fc_out_channels=32), '
        'mask_roi_extractor=dict(out_channels=16), '
        'mask_head=dict(in_channels=16, conv_out_channels=16)), '
        'test_cfg=dict(rpn=dict(max_per_img=100), '
        'rcnn=dict(score_thr=0., max_per_img=10)))\n')
    out = tmp_path / 'mask_rcnn.onnx'
    report = export_tool.main([str(config), '--out', str(out), '--shape',
                               '64', '96', '--dynamic', '--rounds', '0'])
    for graph in ('rpn', 'bbox', 'mask'):
        check_onnx(str(tmp_path / f'mask_rcnn.{graph}.onnx'))
    assert report['max_rel_diff'] <= TOLERANCE
    for size in ('random 64x96', 'random 81x123'):
        agreement = report[size]
        assert agreement['detections_ort'] == agreement[
            'detections_torch'] == 10
        assert agreement['label_agreement'] == 1.
        assert agreement['max_box_rel_diff'] < 1e-3
        assert agreement['mask_pixel_disagreement'] <= 1e-3


def test_family_task_table_row(tmp_path):
    """``benchmarks/onnx_tasks.py`` picks a family's smallest config of a
    task and reports its export in a table row that passed the tool's
    checks."""
    path = osp.join(osp.dirname(CONFIGS), 'benchmarks', 'onnx_tasks.py')
    spec = importlib.util.spec_from_file_location('onnx_tasks', path)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    config = table.smallest_config('van', table.TASKS['cls'])
    assert osp.basename(config) == 'van-b0_8xb128_in1k.py'
    out = tmp_path / 'table.md'
    rows = table.main(['--families', 'van', '--tasks', 'cls', 'pose',
                       '--rounds', '0', '--out', str(out)])
    assert len(rows) == 4 and out.read_text().splitlines() == rows
    cls_row, pose_row = (row.split(' | ') for row in rows[2:])
    assert cls_row[1:3] == ['cls', 'yes (1 graph)']
    assert float(cls_row[3]) <= TOLERANCE
    assert cls_row[4] == 'top-1 equal 100%'
    assert pose_row[0].endswith('td-hm_van-b2_8xb32-210e_coco-256x192.py`')


def test_tool_names_an_input_ort_cannot_run():
    """An input the graph cannot take (here: another size than a static
    export's) ends the tool with a message naming the input, not a
    traceback."""
    model = _deploy_backbone('VAN')
    session = ort_session(export_onnx(model, torch.randn(1, 3, 64, 64),
                                      dynamic=False))
    with pytest.raises(SystemExit, match='could not run the graph on the '
                       'odd input'):
        export_tool.run_ort_or_exit(session, torch.randn(1, 3, 32, 48),
                                    'odd')
