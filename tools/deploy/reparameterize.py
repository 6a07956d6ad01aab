"""Write the re-parameterised (deploy) form of a trained model.

    python tools/deploy/reparameterize.py CONFIG_OR_ARCH CHECKPOINT OUT

``CONFIG_OR_ARCH`` is a config file (the checkpoint is then one of its
trained models, e.g. from tools/train.py) or a backbone ``FAMILY-ARCH``
such as ``moganet-tiny`` (the checkpoint is then an official or mmcnn
backbone or classifier file, read through the family's checkpoint filter).
Every mmcnn backbone in the model folds its batch norms and scales into
its convolutions (``switch_to_deploy``); the outputs before and after are
compared on a random input, and the deploy state dict is written as an
mmengine checkpoint. Load it with ``deploy=True`` in the backbone config.
"""
import argparse
import copy
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

import torch
from mmengine.runner.checkpoint import save_checkpoint
from torch import nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmcnn import __version__  # noqa: E402
from mmcnn.models.backbones.base import ConvNetBackbone  # noqa: E402
from mmcnn.utils import (extract_state_dict, load_checkpoint_file,  # noqa
                         load_pretrained, load_state_dict_checked)
from mmcnn.utils.benchmark import (build_backbone, build_from_config,  # noqa
                                   switch_to_deploy)


def backbones(model: nn.Module) -> Dict[str, nn.Module]:
    """The outermost mmcnn backbones in ``model`` by module name."""
    found: Dict[str, nn.Module] = {}
    for name, module in model.named_modules():
        if isinstance(module, ConvNetBackbone) and not any(
                name.startswith(f'{outer}.') for outer in found):
            found[name] = module
    return found


def load_model(source: str, checkpoint: str) -> nn.Module:
    """Build the model of ``source`` and fill it from ``checkpoint``."""
    if source.endswith('.py'):
        model = build_from_config(source)
        state_dict = extract_state_dict(load_checkpoint_file(checkpoint))
        load_state_dict_checked(model, state_dict, strict=True,
                                source=repr(checkpoint))
    else:
        model = build_backbone(source)
        load_pretrained(model, checkpoint,
                        checkpoint_filter=model.checkpoint_filter,
                        prefix='backbone.', strict=True)
    return model.eval()


def max_relative_error(before: nn.Module, after: nn.Module,
                       shape: Sequence[int]) -> float:
    """Largest ``max|a - b| / max|a|`` over the backbones' outputs."""
    old, new = backbones(before), backbones(after)
    worst = 0.
    torch.manual_seed(0)
    with torch.no_grad():
        for name, module in old.items():
            x = torch.randn(1, getattr(module, 'in_channels', 3), *shape)
            for a, b in zip(module(x), new[name](x)):
                error = (a - b).abs().max() / a.abs().max().clamp_min(1e-12)
                worst = max(worst, float(error))
    return worst


def usage_hint(source: str, model: nn.Module, out: str) -> str:
    """How to load the written checkpoint."""
    names = list(backbones(model))
    if source.endswith('.py'):
        options = ' '.join(f'model.{n}.deploy=True' if n else
                           'model.deploy=True' for n in names)
        return (f'Load it with the config and --cfg-options {options} '
                f'(e.g. tools/test.py {source} {out} --cfg-options '
                f'{options}).')
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
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224],
                        help='input size H W of the equivalence check')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest relative output error accepted')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> float:
    args = parse_args(argv)
    model = load_model(args.source, args.checkpoint)
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
          usage_hint(args.source, model, args.out))
    return error


if __name__ == '__main__':
    main()
