"""What every backbone family computes, to check that a refactoring of the
model code changed no key, no parameter and no output.

``dump`` builds the first (smallest) arch of every registered family, or the
``FAMILY-ARCH`` names given, fills its state dict with weights drawn per key
(so the result does not depend on construction order), and records for the
training form and, where the family has one, the deploy form: the state
dict's keys and shapes, the parameter count and the outputs on one fixed
image of odd size, in eval mode (deterministic algorithms, so the depth-wise
conv trial picks nothing by timing). ``diff`` compares two dumps: keys, shapes
and counts must match exactly; outputs are reported as bit-identical or by
their largest relative difference, and fail above ``--rtol``.

Example::

    python tools/misc/model_snapshot.py dump --out /tmp/before.pt
    # ... refactor ...
    python tools/misc/model_snapshot.py dump --out /tmp/after.pt
    python tools/misc/model_snapshot.py diff /tmp/before.pt /tmp/after.pt
"""
import argparse
import os.path as osp
import sys
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from mmcnn.analysis import backbone_families, build_backbone  # noqa: E402
from mmcnn.utils import load_checkpoint_file  # noqa: E402

Record = Dict[str, object]


def fill_per_key(model: nn.Module) -> None:
    """Give every floating tensor of ``model``'s state dict values drawn
    from a generator seeded by its key: fan-in scaled for 2-D/4-D weights,
    around 1 for norm weights and scales, around 0 otherwise, running
    variances in [0.5, 1.5)."""
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if not value.is_floating_point():
                continue
            gen = torch.Generator().manual_seed(zlib.crc32(key.encode()))
            if key.endswith('running_var'):
                drawn = torch.rand(value.shape, generator=gen) + 0.5
            elif value.dim() in (2, 4):
                drawn = (torch.randn(value.shape, generator=gen) /
                         max(value[0].numel(), 1)**0.5)
            else:
                centre = 1. if key.endswith(('.weight', 'gamma')) else 0.
                drawn = torch.randn(value.shape, generator=gen) * 0.3 + centre
            value.copy_(drawn)


def describe(model: nn.Module, image: torch.Tensor) -> Record:
    """Keys and shapes, parameter count and outputs of ``model`` (eval)."""
    model.eval()
    with torch.no_grad():
        outputs = model(image)
    return {
        'shapes': {k: list(v.shape) for k, v in model.state_dict().items()},
        'params': sum(p.numel() for p in model.parameters()),
        'outputs': [out.clone() for out in outputs],
    }


def default_names() -> List[str]:
    """``FAMILY-ARCH`` of the first arch of every registered family."""
    return [f'{family}-{next(iter(cls.arch_zoo))}'
            for family, cls in sorted(backbone_families().items())]


def snapshot(name: str, size: Sequence[int]) -> Dict[str, Record]:
    """The training-form and (where there is one) deploy-form records of
    backbone ``name`` on a seeded ``(1, 3, H, W)`` image."""
    torch.manual_seed(0)
    model = build_backbone(name)
    fill_per_key(model)
    image = torch.randn((1, 3, *size),
                        generator=torch.Generator().manual_seed(0))
    records = {'train': describe(model, image)}
    try:
        model.switch_to_deploy()
    except NotImplementedError:
        return records
    records['deploy'] = describe(model, image)
    return records


def rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest absolute difference over the largest ``|a|``."""
    return ((a - b).abs().max() / a.abs().max().clamp_min(1e-30)).item()


def compare(before: Record, after: Record) -> Tuple[Optional[str], float]:
    """A structural change between two records (keys, shapes, parameter
    count or output shapes; ``None`` if there is none) and the largest
    relative output difference (0 for bit-identical outputs)."""
    if before['shapes'] != after['shapes']:
        gone = sorted(set(before['shapes']) - set(after['shapes']))
        new = sorted(set(after['shapes']) - set(before['shapes']))
        return f'state dict changed (gone {gone[:3]}, new {new[:3]})', 0.
    if before['params'] != after['params']:
        return f'params {before["params"]} -> {after["params"]}', 0.
    old, new = before['outputs'], after['outputs']
    if [o.shape for o in old] != [n.shape for n in new]:
        return 'output shapes changed', 0.
    return None, max((0. if torch.equal(o, n) else rel_diff(o, n))
                     for o, n in zip(old, new))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    dump = sub.add_parser('dump', help='record every family')
    dump.add_argument('names', nargs='*', help='FAMILY-ARCH (default: the '
                      'first arch of every family)')
    dump.add_argument('--out', required=True)
    dump.add_argument('--shape', type=int, nargs=2, default=(97, 75),
                      metavar=('H', 'W'))
    diff = sub.add_parser('diff', help='compare two dumps')
    diff.add_argument('before')
    diff.add_argument('after')
    diff.add_argument('--rtol', type=float, default=1e-6,
                      help='largest relative output difference accepted')
    args = parser.parse_args(argv)

    if args.command == 'dump':
        # One algorithm per operator, untimed: outputs repeat bit for bit.
        previous = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(True)
        try:
            records = {name: snapshot(name, args.shape)
                       for name in (args.names or default_names())}
        finally:
            torch.use_deterministic_algorithms(previous)
        torch.save(records, args.out)
        print(f'{len(records)} backbones recorded -> {args.out}')
        return 0

    before = load_checkpoint_file(args.before)
    after = load_checkpoint_file(args.after)
    failed = 0
    for name in sorted(set(before) | set(after)):
        for form in ('train', 'deploy'):
            old = before.get(name, {}).get(form)
            new = after.get(name, {}).get(form)
            if old is None and new is None:
                continue
            if old is None or new is None:
                structural, rel = 'present in only one dump', 0.
            else:
                structural, rel = compare(old, new)
            bad = structural is not None or rel > args.rtol
            failed += bad
            verdict = structural or (f'max rel {rel:.2e}' if rel else
                                     'identical (keys, shapes, params, '
                                     'outputs)')
            print(f'{name:24s} {form:7s} {verdict}' + ('  FAIL' if bad else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
