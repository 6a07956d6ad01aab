"""Every detection config builds and runs one train and one test step."""
import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

from _configs import GATED, LARGE_KERNEL, REPO_ROOT, train_then_test
from mmcnn.engine import join_paramwise

FAMILY_CONSTRUCTOR = 'mmcnn.FamilyOptimWrapperConstructor'
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', 'det', '**', '*.py'), recursive=True))


def read_metafiles() -> dict:
    """Config path -> model entry of every det metafile."""
    models = {}
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', 'det', '**',
                                   'metafile.yml'), recursive=True):
        with open(path) as f:
            for model in yaml.safe_load(f)['Models']:
                models[model['Config']] = model
    return models


METAFILE_MODELS = read_metafiles()


def load_det_config(path: str) -> Config:
    """Load a det config for a CPU test: no checkpoint download."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    cfg.model.backbone.init_cfg = None
    import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return cfg


def lighten_two_stage(model_cfg: dict) -> None:
    """Fewer RPN proposals and RoI samples: the same code, less CPU time."""
    if 'rpn_proposal' not in model_cfg.get('train_cfg', {}):
        return
    model_cfg.train_cfg.rpn_proposal.update(nms_pre=100, max_per_img=50)
    model_cfg.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
    rcnn = model_cfg.train_cfg.rcnn
    for stage in rcnn if isinstance(rcnn, list) else [rcnn]:
        stage.sampler.num = 32


def num_classes_of(model_cfg: dict) -> int:
    """Number of classes of a one-stage, two-stage or cascade detector."""
    head = model_cfg.get('bbox_head') or model_cfg.roi_head.bbox_head
    return (head[0] if isinstance(head, list) else head).num_classes


def build_cpu_model(cfg: Config) -> torch.nn.Module:
    """Build the detector with SyncBN turned into BN (no process group)."""
    from mmdet.registry import MODELS
    lighten_two_stage(cfg.model)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return revert_sync_batchnorm(model)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    assert 'retinanet_moganet-t_fpn_1x_coco.py' in names
    assert 'mask-rcnn_moganet-t_fpn_ms-crop-3x_coco.py' in names
    assert len([n for n in names
                if n.startswith('cascade') and 'moganet' in n]) == 3
    for family, prefix in GATED:
        stem = f'{prefix}_fpn'
        assert f'retinanet_{stem}_1x_coco.py' in names
        assert f'mask-rcnn_{stem}_1x_coco.py' in names
        assert any(n.startswith(f'cascade-mask-rcnn_{stem}_')
                   and n.endswith('-3x_coco.py') for n in names), family


@pytest.mark.parametrize('family,stem', LARGE_KERNEL)
def test_large_kernel_configs_found(family, stem):
    """RetinaNet 1x, Mask R-CNN 1x and Cascade Mask R-CNN 3x per family."""
    names = {osp.relpath(p, osp.join('configs', 'det', family))
             for p in CONFIGS}
    assert f'retinanet_{stem}_fpn_1x_coco.py' in names
    assert f'mask-rcnn_{stem}_fpn_1x_coco.py' in names
    assert (f'cascade-mask-rcnn_{stem}_fpn_4conv1fc-giou_ms-crop-3x_coco.py'
            in names)


def test_metafiles_match_configs():
    benchmarks = {p for p in CONFIGS if not p.endswith('_demo.py')}
    assert set(METAFILE_MODELS) == benchmarks
    for path, model in METAFILE_MODELS.items():
        assert model['Name'] == osp.splitext(osp.basename(path))[0]
        if not model.get('Results'):
            # No published result for this recipe: the entry still gives
            # the measured Parameters and FLOPs (as seg / pose metafiles do).
            assert model['Metadata']['Parameters'] > 0
            continue
        metrics = [r['Metrics'] for r in model['Results']]
        assert 'box AP' in metrics[0]
        assert len(metrics) <= 2
        if len(metrics) == 2:
            assert 'mask AP' in metrics[1]
        # A mask AP comes only with a mask head; Cascade Mask R-CNN results
        # published with the box AP alone (VAN, FocalNet) list just that.
        if 'mask-rcnn' not in path:
            assert len(metrics) == 1
        elif not path.split('/')[-1].startswith('cascade'):
            assert len(metrics) == 2


@pytest.mark.parametrize('path', CONFIGS)
def test_det_config_train_and_test_step(path):
    from mmdet.testing import demo_mm_inputs
    cfg = load_det_config(path)
    assert cfg.model.backbone.type.startswith('mmcnn.')
    with_mask = 'mask_head' in cfg.model.get('roi_head', {})
    num_classes = num_classes_of(cfg.model)
    torch.manual_seed(0)
    model = build_cpu_model(cfg)
    assert list(cfg.model.neck.in_channels) == [
        model.backbone.embed_dims[i] for i in model.backbone.out_indices]
    if path in METAFILE_MODELS:
        count = sum(p.numel() for p in model.parameters())
        assert count == METAFILE_MODELS[path]['Metadata']['Parameters']
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    groups = {id(p): g for g in optim_wrapper.optimizer.param_groups
              for p in g['params']}
    paramwise = cfg.optim_wrapper.get('paramwise_cfg', {})
    if cfg.optim_wrapper.get('constructor') == FAMILY_CONSTRUCTOR:
        paramwise = join_paramwise(type(model.backbone).paramwise_cfg,
                                   paramwise)
    no_decay = [key for key, mult in paramwise.get('custom_keys', {}).items()
                if mult.get('decay_mult', 1.) == 0.]
    for name, param in model.named_parameters():
        if any(key in name for key in no_decay):
            assert groups[id(param)]['weight_decay'] == 0., name
    name, weight = next((n, p) for n, p in model.backbone.named_parameters()
                        if p.ndim > 1 and p.requires_grad)
    assert groups[id(weight)]['weight_decay'] > 0., name
    data = demo_mm_inputs(
        batch_size=2, image_shapes=[(3, 64, 96), (3, 64, 64)],
        num_items=[3, 2], num_classes=num_classes, with_mask=with_mask)
    losses, results = train_then_test(model, data, optim_wrapper, weight)
    assert 'loss' in losses and all(
        torch.isfinite(v).all() for v in losses.values())
    for sample in results:
        pred = sample.pred_instances
        n = len(pred)
        assert pred.bboxes.shape == (n, 4)
        assert pred.scores.shape == pred.labels.shape == (n, )
        assert torch.isfinite(pred.bboxes).all()
        assert ((pred.labels >= 0) & (pred.labels < num_classes)).all()
        if with_mask:
            assert pred.masks.shape == (n, *sample.ori_shape)
