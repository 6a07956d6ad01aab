"""Models to count: a backbone by name, or a task model from a config."""
import copy
import functools
import inspect
import math
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import torch
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from torch import nn

from mmcnn.registry import MODELS
from .shape_trace import meta_copy

# The task of a config follows its default scope.
TASKS = {'mmpretrain': 'cls', 'mmdet': 'det', 'mmseg': 'seg', 'mmpose': 'pose'}

# The papers' input sizes, (width, height): ImageNet 224, COCO detection
# 1280x800, ADE20K 2048x512, COCO top-down pose 192x256.
DEFAULT_SIZES = {
    'backbone': (224, 224),
    'cls': (224, 224),
    'det': (1280, 800),
    'seg': (2048, 512),
    'pose': (192, 256),
}


def backbone_families() -> Dict[str, Type[nn.Module]]:
    """mmcnn's backbone families by lower-case name: the classes registered
    in :data:`mmcnn.registry.MODELS` (mmcnn's own and those of projects)
    that carry the backbone contract's ``arch_zoo``."""
    MODELS.import_from_location()
    return {
        name.lower(): cls
        for name, cls in MODELS.module_dict.items() if isinstance(cls, type)
        and issubclass(cls, nn.Module) and getattr(cls, 'arch_zoo', None)
    }


def resolve_backbone(name: str) -> Tuple[Type[nn.Module], str]:
    """``'moganet-tiny'`` -> ``(MogaNet, 'tiny')``: the family before the
    first hyphen matches a registered class name case-insensitively."""
    family, _, arch = name.partition('-')
    families = backbone_families()
    if family.lower() not in families or not arch:
        raise ValueError(
            f'Cannot resolve {name!r}: use FAMILY-ARCH with FAMILY one of '
            f'{", ".join(sorted(families))} (e.g. moganet-tiny).')
    return families[family.lower()], arch


def build_backbone(name: str, **kwargs) -> nn.Module:
    """Build the backbone named ``FAMILY-ARCH`` with extra ``kwargs``.

    Raises:
        ValueError: unknown family (lists the registered ones).
        KeyError: unknown arch of the family (lists its arch names).
    """
    cls, arch = resolve_backbone(name)
    cls.resolve_arch(arch)
    return cls(arch=arch.lower(), **kwargs)


def find_backbones(model: nn.Module) -> Dict[str, nn.Module]:
    """The outermost mmcnn backbones in ``model`` (``model`` itself
    included, named ``''``) by module name."""
    families = tuple(backbone_families().values())
    found: Dict[str, nn.Module] = {}
    for name, module in model.named_modules():
        if isinstance(module, families) and not any(
                not outer or name.startswith(f'{outer}.') for outer in found):
            found[name] = module
    return found


def switch_to_deploy(model: nn.Module) -> int:
    """Re-parameterise every mmcnn backbone in ``model`` (or ``model``).

    Returns:
        The number of backbones switched.

    Raises:
        ValueError: ``model`` holds no mmcnn backbone.
    """
    backbones = find_backbones(model).values()
    if not backbones:
        raise ValueError(f'{type(model).__name__} holds no mmcnn backbone '
                         'to re-parameterise.')
    for backbone in backbones:
        backbone.switch_to_deploy()
    return len(backbones)


class BackboneClassifier(nn.Module):
    """Image classifier as the papers count it: the backbone's last stage,
    global average pooling and a linear layer ``head``, ``(N, 3, H, W) ->
    (N, K)``; optionally a conv head before the pooling (``conv_scale``)
    and an MLP before the classifier (``mlp_ratio``).
    """

    def __init__(self,
                 backbone: nn.Module,
                 in_features: int,
                 num_classes: int,
                 conv_scale: Optional[float] = None,
                 mlp_ratio: Optional[float] = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.conv_head = nn.Identity()
        if conv_scale:
            width = int(in_features * conv_scale)
            self.conv_head = nn.Sequential(
                nn.Conv2d(in_features, width, 1, bias=False),
                nn.BatchNorm2d(width), nn.GELU())
            in_features = width
        self.pre_logits = nn.Identity()
        if mlp_ratio:
            hidden = int(in_features * mlp_ratio)
            self.pre_logits = nn.Sequential(
                nn.Linear(in_features, hidden), nn.GELU(),
                nn.LayerNorm(hidden))
            in_features = hidden
        self.head = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_head(self.backbone(x)[-1]).mean(dim=(2, 3))
        return self.head(self.pre_logits(x))


def _last_stage_channels(backbone: nn.Module, size: Tuple[int, int]) -> int:
    x = torch.empty(1, 3, size[1], size[0])
    with torch.no_grad():
        try:
            return meta_copy(backbone)(x.to('meta'))[-1].shape[1]
        except Exception:  # an op without a meta kernel: compute it
            return backbone(x)[-1].shape[1]


def build_backbone_model(name: str,
                         num_classes: int,
                         size: Tuple[int, int],
                         deploy: bool = False,
                         device: str = 'cpu') -> nn.Module:
    """A registered backbone, with the family's classifier (GAP + linear
    unless the class's ``classifier_head`` says otherwise) when
    ``num_classes > 0``. ``deploy`` builds the re-parameterised inference form;
    ``device='meta'`` builds without allocating weights (for counting),
    or on the CPU when the family's constructor needs real tensors.
    """
    cls, _ = resolve_backbone(name)
    kwargs = {}
    if deploy:
        if 'deploy' not in inspect.signature(cls).parameters:
            raise ValueError(f'{cls.__name__} has no deploy form; count it '
                             'without --deploy.')
        kwargs['deploy'] = True
    if num_classes > 0:
        kwargs['out_indices'] = (-1, )
    try:
        with torch.device(device):
            backbone = build_backbone(name, **kwargs).eval()
    except NotImplementedError:  # the constructor reads tensor values
        device = 'cpu'
        backbone = build_backbone(name, **kwargs).eval()
    if num_classes <= 0:
        return backbone
    channels = _last_stage_channels(backbone, size)
    head = getattr(cls, 'classifier_head', {})
    with torch.device(device):
        return BackboneClassifier(backbone, channels, num_classes,
                                  **head).eval()


def config_task(cfg: Config) -> str:
    """'cls', 'det', 'seg' or 'pose' from the config's default scope."""
    scope = cfg.get('default_scope')
    if scope not in TASKS:
        raise ValueError(
            f'Config default_scope {scope!r} is not one of {sorted(TASKS)}; '
            'get_flops counts mmpretrain, mmdet, mmseg and mmpose models.')
    return TASKS[scope]


def _find_transform(pipeline: Optional[List[Any]],
                    name: str) -> Optional[ConfigDict]:
    for transform in pipeline or []:
        if isinstance(transform, dict) and transform.get('type') == name:
            return transform
    return None


def _test_pipeline(cfg: Config) -> Optional[List[Any]]:
    dataloader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if dataloader and dataloader.get('dataset', {}).get('pipeline'):
        return dataloader['dataset']['pipeline']
    return cfg.get('test_pipeline')


def config_input_size(cfg: Config, task: str) -> Tuple[int, int]:
    """The input size (width, height) a config's model is counted at.

    Classification uses the test pipeline's ``CenterCrop`` size, pose the
    codec's ``input_size`` and segmentation the test ``Resize`` scale (the
    model's own input); detection always uses the papers' 1280x800.
    """
    size = None
    if task == 'cls':
        crop = _find_transform(_test_pipeline(cfg), 'CenterCrop')
        size = crop and crop.get('crop_size')
    elif task == 'pose':
        size = cfg.get('codec', {}).get('input_size')
    elif task == 'seg':
        resize = _find_transform(_test_pipeline(cfg), 'Resize')
        size = resize and resize.get('scale')
    if isinstance(size, int):
        return size, size
    if size:
        return tuple(size)
    return DEFAULT_SIZES[task]


def _pad_size(cfg: Config, size: Tuple[int, int]) -> Tuple[int, int]:
    """Round up to the data preprocessor's size divisor, as it pads."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    divisor = (
        preprocessor.get('pad_size_divisor')
        or preprocessor.get('size_divisor') or 1)
    return tuple(math.ceil(s / divisor) * divisor for s in size)


def build_task_model(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` in its task library, without pretrained weights
    and with SyncBN reverted to BN, in eval mode."""
    init_default_scope(cfg.get('default_scope'))
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.get('backbone')
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone['init_cfg'] = None
    model = ROOT_MODELS.build(model_cfg)
    return revert_sync_batchnorm(model).eval()


def image_batch(size: Tuple[int, int]) -> torch.Tensor:
    """A random ``(1, 3, H, W)`` image batch for a (width, height) size."""
    return torch.randn(1, 3, size[1], size[0])


def _proposals(count: int, width: int, height: int) -> torch.Tensor:
    """Fixed, valid boxes ``(count, 4)`` inside a width x height image."""
    generator = torch.Generator().manual_seed(0)
    scale = torch.tensor([width, height], dtype=torch.float32)
    corner = torch.rand(count, 2, generator=generator) * scale * 0.75
    size = torch.rand(count, 2, generator=generator) * scale * 0.25 + 8
    return torch.cat([corner, corner + size], dim=1)


def two_stage_forward(detector: nn.Module,
                      inputs: torch.Tensor,
                      proposals: torch.Tensor,
                      num_mask_rois: int = 100) -> Tuple[Any, ...]:
    """mmdet 2.x's ``forward_dummy``, the convention of the published
    two-stage figures: backbone, neck, the RPN head's dense forward, then
    each RoI-head stage on ``proposals`` (1000 boxes), its mask branch on
    the first ``num_mask_rois`` of them. mmdet 3.x's tensor mode instead
    runs cascade mask heads on every proposal, tripling the FLOPs. Every
    head output is returned: the tracer drops ops whose results are
    unused."""
    from mmdet.structures.bbox import bbox2roi
    x = detector.extract_feat(inputs)
    outs = (detector.rpn_head(x), ) if detector.with_rpn else ()
    head = detector.roi_head
    rois = bbox2roi([proposals.to(inputs.device)])
    if hasattr(head, 'num_stages'):
        branches = [(functools.partial(head._bbox_forward, stage),
                     functools.partial(head._mask_forward, stage))
                    for stage in range(head.num_stages)]
    else:
        branches = [(head._bbox_forward, head._mask_forward)]
    for bbox_forward, mask_forward in branches:
        bbox = bbox_forward(x, rois)
        outs += (bbox['cls_score'], bbox['bbox_pred'])
        if head.with_mask:
            outs += (mask_forward(x, rois[:num_mask_rois])['mask_preds'], )
    return outs


def task_inputs(
    cfg: Config,
    task: str,
    model: nn.Module,
    size: Optional[Tuple[int, int]] = None
) -> Tuple[torch.Tensor, Callable[..., Any]]:
    """A ``(1, 3, H, W)`` input and the forward to count, as the papers
    did: the tensor mode of the task library (detectors get an image meta,
    pose estimators an explicit ``data_samples=None``), except that
    two-stage detectors run :func:`two_stage_forward` on 1000 proposals."""
    width, height = _pad_size(cfg, size or config_input_size(cfg, task))
    inputs = image_batch((width, height))
    forward = functools.partial(type(model).forward, mode='tensor')
    if task == 'pose':
        return inputs, functools.partial(forward, data_samples=None)
    if task != 'det':
        return inputs, forward
    if getattr(model, 'roi_head', None) is not None:
        return inputs, functools.partial(
            two_stage_forward, proposals=_proposals(1000, width, height))
    from mmdet.structures import DetDataSample
    shape = (height, width)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=shape,
            ori_shape=shape,
            pad_shape=shape,
            batch_input_shape=shape,
            scale_factor=(1.0, 1.0)))
    return inputs, functools.partial(forward, data_samples=[sample])
