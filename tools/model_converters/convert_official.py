"""Convert an official checkpoint into an mmengine checkpoint for mmcnn.

    python tools/model_converters/convert_official.py SRC DST \\
        --arch convnext-tiny [--ema] [--keep-head]
    python tools/model_converters/convert_official.py SRC DST \\
        --family moganet [--arch tiny] [--ema] [--keep-head]
    python tools/model_converters/convert_official.py SRC DST \\
        --family convnext --arch-json '{"depths": [2, 2, 6, 2],
                                        "channels": [64, 128, 256, 512]}'
    python tools/model_converters/convert_official.py SRC DST \\
        --config CONFIG [--cfg-options key=value ...]

Every registered backbone family is supported (``--arch FAMILY-ARCH`` as
in get_flops, or ``--family`` with the arch inferred from the file).

Reads a release file (timm ``state_dict``/``state_dict_ema``/``args``,
FAIR or Swin ``model``/``model_ema``) with mmcnn's safe reader, applies
the family's ``checkpoint_filter``, reports the keys that do not match a
freshly built backbone of ``--arch`` (inferred from the file's
``args.model`` when not given; ``--arch-json`` for a custom arch dict),
and writes ``{'state_dict', 'meta'}``. It exits non-zero, writing
nothing, unless every backbone tensor matched (``--allow-partial`` writes
a partial conversion anyway).

Without ``--keep-head`` the result holds the backbone's keys, for
``init_cfg=dict(type='Pretrained', checkpoint=DST)``, and the classifier's
final norm under its official name: loading applies the same rule as to
the release file (used by the classification form, not loaded by the
dense-prediction form). With ``--keep-head`` the backbone is converted in
its classification form and the classifier is kept under mmpretrain
``ImageClassifier`` names (``backbone.*`` and ``head.fc.*``), so
``load_from=DST`` works in the family's classification config.

With ``--config``, SRC is a whole official detector, segmentor or pose
model (the families' mmdet 2.x / mmseg 0.x / mmpose releases, whose head
and neck names mmdet 3.x / mmseg 1.x / mmpose 1.x kept): its
``backbone.*`` tensors go through the family's checkpoint table, the rest
is kept, and every tensor must fit the model CONFIG builds, so that
``load_from=DST`` (or ``tools/test.py CONFIG DST``) runs the official
model.
"""
import argparse
import json
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple, Union

from mmengine.config import Config, DictAction
from mmengine.runner.checkpoint import save_checkpoint

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

import mmcnn.models  # noqa: E402,F401  (registers the backbones)
from mmcnn import __version__  # noqa: E402
from mmcnn.analysis import (backbone_families, build_task_model,  # noqa
                            resolve_backbone)
from mmcnn.models.backbones.base import CLASSIFIER_NORM  # noqa: E402
from mmcnn.utils.checkpoint import (CheckpointError, StateDict,  # noqa
                                    extract_state_dict, load_checkpoint_file,
                                    load_state_dict_checked)


OUTPUT_NORM = re.compile(r'norm\d+\.')
"""Output norms of dense backbones (``norm0.`` ...): in no classifier file."""
FAMILIES: Dict[str, type] = backbone_families()
"""Every registered backbone family by lower-case name."""


def infer_arch(ckpt: dict, family_name: str, cls: type) -> str:
    """The arch from an official file's ``args.model`` (``moganet_tiny``).

    Raises:
        SystemExit: no ``args.model``, or it names no known arch.
    """
    args = ckpt.get('args')
    model_name = str(getattr(args, 'model', '') or '').lower()
    prefix = f'{family_name}_'
    if model_name.startswith(prefix):
        arch = model_name[len(prefix):].split('_')[0]
        if arch in cls.arch_zoo:
            return arch
    raise SystemExit(
        f'Cannot infer the {cls.__name__} arch from the checkpoint '
        f'(args.model={model_name or None!r}); pass --arch, one of '
        f'{", ".join(sorted(cls.arch_zoo))}.')


def plain_args(ckpt: dict) -> Dict[str, object]:
    """The official argparse ``args`` as a dict of plain values."""
    args = ckpt.get('args')
    items = vars(args).items() if hasattr(args, '__dict__') else ()
    return {k: v for k, v in items
            if isinstance(v, (bool, int, float, str, type(None)))}


def convert(ckpt: dict, family_name: str,
            arch: Union[None, str, dict] = None,
            use_ema: bool = False,
            keep_head: bool = False,
            allow_partial: bool = False) -> Tuple[StateDict, dict]:
    """Convert a loaded official checkpoint.

    Returns:
        The converted state dict and the ``meta`` to store with it.

    Raises:
        SystemExit: not every backbone tensor matched (unless
            ``allow_partial``), or the head cannot be kept.
    """
    cls = FAMILIES[family_name]
    arch = arch or infer_arch(ckpt, family_name, cls)
    state_dict = extract_state_dict(ckpt, use_ema=use_ema)
    head_keys = cls.classifier_head_keys()
    head = OrderedDict((new, state_dict[old])
                       for old, new in head_keys.items()
                       if old in state_dict)
    form = ({cls.classifier_form_arg: True}
            if keep_head and cls.classifier_form_arg else {})
    model = cls(arch=arch, **form)
    backbone, dropped = cls.convert_checkpoint(state_dict, model)
    own = model.state_dict()
    matched = [k for k, v in backbone.items()
               if k in own and v.shape == own[k].shape]
    load_state_dict_checked(model, backbone,
                            source=f'{family_name} {arch} checkpoint')
    summary = (f'{cls.__name__} {arch!r}: {len(matched)} of {len(own)} '
               f'backbone tensors matched; {len(own) - len(matched)} missing '
               f'or mis-shaped, {len(backbone) - len(matched)} unused.')
    print(summary)
    fresh = [k for k in own if k not in backbone and OUTPUT_NORM.match(k)]
    if fresh:
        print(f'{len(fresh)} of the missing tensors belong to the output '
              'norms of dense-prediction backbones, which start fresh as in '
              'the official detection code.')
    complete = len(matched) + len(fresh) == len(own) == len(backbone) + len(
        fresh)
    if not complete and not allow_partial:
        raise SystemExit(
            f'Not converted: {summary} Is --arch right for this file (a '
            'custom arch goes in --arch-json)? --allow-partial writes the '
            'partial conversion anyway.')
    if keep_head:
        if not head_keys:
            raise SystemExit(
                f'--keep-head: the official {cls.__name__} classifier is '
                'not a linear layer; convert without --keep-head.')
        if len(head) != len(head_keys):
            raise SystemExit(
                f'--keep-head: the checkpoint lacks the classifier keys '
                f'{sorted(set(head_keys) - set(state_dict))}.')
        converted = OrderedDict(
            (f'backbone.{k}', v) for k, v in backbone.items())
        converted.update(head)
    else:
        converted = OrderedDict(backbone)
        for group in dropped:
            if group.what == CLASSIFIER_NORM:
                converted.update((k, state_dict[k]) for k in group.keys)
    meta = dict(family=family_name, arch=arch, ema=use_ema,
                keep_head=keep_head, official_args=plain_args(ckpt))
    if isinstance(ckpt.get('epoch'), int):
        meta['epoch'] = ckpt['epoch']
    return converted, meta


def convert_model(ckpt: dict, cfg: Config,
                  allow_partial: bool = False) -> Tuple[StateDict, dict]:
    """Convert a whole official dense-prediction model for ``cfg.model``.

    Returns:
        The converted state dict (``backbone.*`` in mmcnn's layout, the
        other tensors as they were) and the ``meta`` to store with it.

    Raises:
        SystemExit: the file holds no ``backbone.*`` tensors, or not every
            tensor of the model matched (unless ``allow_partial``).
    """
    state_dict = extract_state_dict(ckpt)
    model = build_task_model(cfg)
    backbone = model.backbone
    prefix = 'backbone.'
    official = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                           if k.startswith(prefix))
    if not official:
        raise SystemExit(
            'Not converted: the checkpoint holds no backbone.* tensors, so it '
            'is not a whole detector / segmentor / pose model. An ImageNet '
            'release loads through the backbone\'s init_cfg, or converts '
            'without --config (--family / --arch).')
    converted = OrderedDict(
        (prefix + k, v)
        for k, v in type(backbone).convert_checkpoint(official,
                                                      backbone).state_dict
        .items())
    converted.update((k, v) for k, v in state_dict.items()
                     if not k.startswith(prefix))
    own = model.state_dict()
    matched = [k for k, v in converted.items()
               if k in own and v.shape == own[k].shape]
    summary = (f'{type(model).__name__} with {type(backbone).__name__}: '
               f'{len(matched)} of {len(own)} tensors matched; '
               f'{len(own) - len(matched)} missing or mis-shaped, '
               f'{len(converted) - len(matched)} unused.')
    print(summary)
    if not len(matched) == len(own) == len(converted) and not allow_partial:
        missing = sorted(set(own) - set(matched))[:5]
        unused = sorted(set(converted) - set(matched))[:5]
        raise SystemExit(
            f'Not converted: {summary} First missing: {missing}; first '
            f'unused: {unused}. Is the config the one the file was trained '
            'with (arch, neck and head widths)? --allow-partial writes the '
            'partial conversion anyway.')
    meta = dict(family=type(backbone).__name__.lower(),
                config=osp.basename(cfg.filename or ''),
                official_meta={k: v for k, v in (ckpt.get('meta') or {}).items()
                               if isinstance(v, (bool, int, float, str))})
    return converted, meta


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official checkpoint for mmcnn')
    parser.add_argument('src', help='official checkpoint')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument('--family', choices=sorted(FAMILIES),
                        type=str.lower,
                        help='backbone family (default: from --arch)')
    parser.add_argument('--arch', help='FAMILY-ARCH as in get_flops (e.g. '
                        'convnext-tiny), or the arch name with --family '
                        "(default: from the checkpoint's args.model)")
    parser.add_argument('--arch-json', type=json.loads, metavar='JSON',
                        help='a custom arch as a JSON dict of the family\'s '
                        'arch keys (needs --family)')
    parser.add_argument('--ema', action='store_true',
                        help='take the EMA weights (state_dict_ema, '
                        'model_ema or ema_state_dict)')
    parser.add_argument('--allow-partial', action='store_true',
                        help='write the file even if some backbone tensors '
                        'did not match')
    parser.add_argument('--keep-head', action='store_true',
                        help='keep the classifier, under mmpretrain '
                        'ImageClassifier names')
    parser.add_argument('--config', help='convert a whole official '
                        'detector / segmentor / pose model for the model '
                        'this config builds')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of --config')
    args = parser.parse_args(argv)
    if args.config:
        if (args.family or args.arch or args.arch_json or args.keep_head
                or args.ema):
            parser.error('--config takes the family and arch from the '
                         'config; drop --family / --arch / --keep-head / '
                         '--ema.')
        return args
    if args.cfg_options:
        parser.error('--cfg-options goes with --config.')
    if args.arch_json is not None:
        if args.family is None or args.arch:
            parser.error('--arch-json needs --family and replaces --arch.')
        args.arch = args.arch_json
    if args.family is None:
        if not args.arch:
            parser.error('give --arch FAMILY-ARCH or --family.')
        try:
            cls, args.arch = resolve_backbone(args.arch)
        except ValueError as err:
            parser.error(str(err))
        args.family = cls.__name__.lower()
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        ckpt = load_checkpoint_file(args.src)
        if args.config:
            cfg = Config.fromfile(args.config)
            cfg.merge_from_dict(args.cfg_options or {})
            state_dict, meta = convert_model(ckpt, cfg, args.allow_partial)
        else:
            state_dict, meta = convert(ckpt, args.family, args.arch,
                                       args.ema, args.keep_head,
                                       args.allow_partial)
    except CheckpointError as err:
        raise SystemExit(str(err)) from None
    meta.update(source=osp.basename(args.src),
                mmcnn_version=__version__)
    save_checkpoint({'state_dict': state_dict, 'meta': meta}, args.dst)
    print(f'Wrote {len(state_dict)} tensors to {args.dst}.')


if __name__ == '__main__':
    main()
