"""Write the re-parameterised (deploy) form of a trained model.

    python tools/deploy/reparameterize.py CONFIG_OR_ARCH CHECKPOINT OUT
        [--cfg-options key=value ...] [--no-saved-config] [--shape H [W]]

``CONFIG_OR_ARCH`` is a config file (the checkpoint is then one of its
trained models, e.g. from tools/train.py) or a backbone ``FAMILY-ARCH``
such as ``moganet-tiny`` (the checkpoint is then an official or mmcnn
backbone or classifier file, read through the family's checkpoint filter).

With a config, the model is built from the config the checkpoint was
trained with when one is found, so that training-time ``--cfg-options``
carry over: first the copy mmengine saved in the work dir beside the
checkpoint (``<work_dir>/<config file name>``), else the checkpoint's
``meta.cfg`` text, read as plain data (names, numbers, strings, lists,
tuples, dicts; nothing in it is run, and text that is more than that is
not used), else CONFIG itself. ``--no-saved-config`` always uses CONFIG;
``--cfg-options`` are applied last, whichever config is used.
Every mmcnn backbone in the model folds its batch norms and scales into
its convolutions (``switch_to_deploy``); the outputs before and after are
compared on a random input, and the deploy state dict is written as an
mmengine checkpoint. Load it with ``deploy=True`` in the backbone config.
"""
import argparse
import ast
import copy
import os.path as osp
import sys
from typing import Any, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.runner.checkpoint import save_checkpoint
from torch import nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmcnn import __version__  # noqa: E402
from mmcnn.analysis import (build_backbone, build_task_model,  # noqa: E402
                            find_backbones, switch_to_deploy)
from mmcnn.utils import (CheckpointError, extract_state_dict,  # noqa: E402
                         load_checkpoint_file, load_pretrained,
                         load_state_dict_checked)
from tools.analysis_tools.shape_arg import (add_shape_argument,  # noqa
                                             parse_shape)


def _literal(node: ast.AST) -> Any:
    """The value of a plain-data expression: constants, lists, tuples,
    sets, dicts, ``dict({...}, key=...)`` and negated numbers. Anything
    else raises ``ValueError``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(item) for item in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[
            type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_literal(k): _literal(v)
                for k, v in zip(node.keys, node.values)}
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and len(node.args) <= 1
            and all(kw.arg is not None for kw in node.keywords)):
        value = dict(_literal(node.args[0])) if node.args else {}
        value.update((kw.arg, _literal(kw.value)) for kw in node.keywords)
        return value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))):
        return -node.operand.value
    raise ValueError(f'not plain data: {ast.dump(node)[:80]}')


def config_from_text(text: str) -> Config:
    """A config from mmengine's dumped text (``meta.cfg``), read as plain
    data without running it: every statement must be ``name = value``
    with a plain-data value (:func:`_literal`); ``ValueError`` else."""
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f'not Python: {err}') from None
    values = {}
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            raise ValueError('a statement other than "name = value"')
        values[statement.targets[0].id] = _literal(statement.value)
    if not isinstance(values.get('model'), dict):
        raise ValueError('no model dict')
    try:
        return Config(values)
    except (KeyError, TypeError) as err:
        raise ValueError(str(err)) from None


def trained_config(source: str, checkpoint: str, ckpt: dict,
                   use_saved: bool = True) -> Tuple[Config, str]:
    """The config ``checkpoint`` was trained with, and where it came from:
    the work-dir copy beside the checkpoint, else its ``meta.cfg``, else
    ``source`` (always ``source`` when ``use_saved`` is False)."""
    if use_saved:
        saved = osp.join(osp.dirname(osp.abspath(checkpoint)),
                         osp.basename(source))
        if osp.isfile(saved):
            if osp.isfile(source) and osp.samefile(saved, source):
                return Config.fromfile(source), source
            return Config.fromfile(saved), (
                f'{saved} (saved in the work dir with the checkpoint)')
        text = (ckpt.get('meta') or {}).get('cfg')
        if isinstance(text, str):
            try:
                return config_from_text(text), (
                    f"the meta.cfg of {checkpoint}")
            except ValueError as err:
                print(f"The checkpoint's meta.cfg is not plain data "
                      f'({err}); it was not used.')
    return Config.fromfile(source), source


def load_model(source: str,
               checkpoint: str,
               cfg_options: Optional[dict] = None,
               use_saved: bool = True) -> Tuple[nn.Module, str]:
    """Build the model of ``source`` (for a config: the one the checkpoint
    was trained with, see :func:`trained_config`, with ``cfg_options``
    merged) and fill it from ``checkpoint``. Returns the model and what
    it was built from."""
    origin = source
    if source.endswith('.py'):
        ckpt = load_checkpoint_file(checkpoint)
        cfg, origin = trained_config(source, checkpoint, ckpt, use_saved)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
            origin += ' with --cfg-options'
        print(f'model built from {origin}')
        model = build_task_model(cfg)
        try:
            load_state_dict_checked(model, extract_state_dict(ckpt),
                                    strict=True, source=repr(checkpoint))
        except CheckpointError as err:
            raise SystemExit(
                f'{err}\nIf the model was trained with --cfg-options, pass '
                'the same ones here, or keep the config mmengine saved in '
                'the work dir beside the checkpoint.') from None
    else:
        model = build_backbone(source)
        load_pretrained(model, checkpoint,
                        checkpoint_filter=model.convert_checkpoint,
                        prefix='backbone.', strict=True)
    return model.eval(), origin


def max_relative_error(before: nn.Module, after: nn.Module,
                       shape: Sequence[int]) -> float:
    """Largest ``max|a - b| / max|a|`` over the backbones' outputs."""
    old, new = find_backbones(before), find_backbones(after)
    worst = 0.
    torch.manual_seed(0)
    with torch.no_grad():
        for name, module in old.items():
            x = torch.randn(1, getattr(module, 'in_channels', 3), *shape)
            for a, b in zip(module(x), new[name](x)):
                error = (a - b).abs().max() / a.abs().max().clamp_min(1e-12)
                worst = max(worst, float(error))
    return worst


def usage_hint(source: str, model: nn.Module, out: str,
               origin: Optional[str] = None) -> str:
    """How to load the written checkpoint; ``origin`` says what a config
    model was built from when that is not ``source`` alone."""
    names = list(find_backbones(model))
    if source.endswith('.py'):
        options = ' '.join(f'model.{n}.deploy=True' if n else
                           'model.deploy=True' for n in names)
        built = (f' The model was built from {origin}: load it with that '
                 'config and options.' if origin and origin != source
                 else '')
        return (f'Load it with the config and --cfg-options {options} '
                f'(e.g. tools/test.py {source} {out} --cfg-options '
                f'{options}).{built}')
    arch = source.partition('-')[2].lower()
    return (f"Load it with dict(type='mmcnn.{type(model).__name__}', "
            f"arch='{arch}', deploy=True, init_cfg=dict(type='Pretrained', "
            f"checkpoint='{out}')).")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Re-parameterise a model into its deploy form')
    parser.add_argument('source', help='config file or backbone FAMILY-ARCH')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('out', help='where to write the deploy checkpoint')
    add_shape_argument(parser, default=[224],
                       extra_help='Input of the equivalence check')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest relative output error accepted')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries (with a config), as in '
        'tools/train.py, e.g. model.head.num_classes=10')
    parser.add_argument(
        '--no-saved-config', action='store_true',
        help='build from CONFIG even when the checkpoint comes with the '
        'config it was trained with')
    args = parser.parse_args(argv)
    args.shape = parse_shape(parser, args.shape)
    if args.cfg_options and not args.source.endswith('.py'):
        parser.error('--cfg-options goes with a config file.')
    return args


def main(argv: Optional[Sequence[str]] = None) -> float:
    args = parse_args(argv)
    model, origin = load_model(args.source, args.checkpoint,
                               args.cfg_options, not args.no_saved_config)
    reference = copy.deepcopy(model)
    switch_to_deploy(model)
    params = [sum(p.numel() for p in m.parameters())
              for m in (reference, model)]
    error = max_relative_error(reference, model, args.shape)
    print(f'parameters {params[0]:,} -> {params[1]:,}; largest relative '
          f'output difference {error:.2e}')
    if not error <= args.tolerance:
        raise SystemExit(
            f'The deploy form differs from the trained model by {error:.2e} '
            f'(> {args.tolerance:g}); nothing was written.')
    meta = dict(deploy=True, source=osp.basename(args.checkpoint),
                model=args.source, mmcnn_version=__version__)
    save_checkpoint({'state_dict': model.state_dict(), 'meta': meta},
                    args.out)
    print(f'Wrote {args.out}. ' +
          usage_hint(args.source, model, args.out, origin))
    return error


if __name__ == '__main__':
    main()
