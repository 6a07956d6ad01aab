"""The ``--shape`` option shared by the analysis and deploy tools.

Every tool reads the input size height first, as torch lays out an image
batch ``(N, C, H, W)``: ``--shape 800 1280`` is 800 pixels high and 1280
wide; one value gives a square.
"""
import argparse
from typing import List, Optional, Sequence, Tuple

SHAPE_HELP = ('input size as H W, height first as in torch\'s (N, C, H, W): '
              '"--shape 800 1280" is 800 pixels high and 1280 wide; one '
              'value gives a square')


def add_shape_argument(parser: argparse.ArgumentParser,
                       default: Optional[Sequence[int]] = None,
                       extra_help: str = '') -> None:
    """Add ``--shape H [W]`` to ``parser``; ``extra_help`` is appended to
    the common help text (e.g. the defaults)."""
    help_text = SHAPE_HELP + (f'. {extra_help}' if extra_help else '')
    if default is not None:
        help_text += f' (default: {" ".join(map(str, default))})'
    parser.add_argument(
        '--shape', type=int, nargs='+', metavar='H [W]',
        default=None if default is None else list(default), help=help_text)


def parse_shape(parser: argparse.ArgumentParser,
                shape: Optional[List[int]]) -> Optional[Tuple[int, int]]:
    """``[H]`` or ``[H, W]`` -> ``(H, W)``; ``parser.error`` otherwise."""
    if shape is None:
        return None
    if len(shape) not in (1, 2):
        parser.error(f'--shape takes H W or a single size, got {shape}')
    if min(shape) < 1:
        parser.error(f'--shape sizes must be positive, got {shape}')
    return (shape[0], shape[-1])
