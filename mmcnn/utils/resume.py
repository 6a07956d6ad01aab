"""Pick the checkpoint ``--resume`` (without a path) continues from.

mmengine trusts ``last_checkpoint`` blindly: an empty file, or one naming a
deleted or truncated checkpoint, makes the resume fail although good
checkpoints are on disk. :func:`find_resume_checkpoint` checks the named
file and otherwise falls back to the newest loadable checkpoint, saying so.
"""
import glob
import os.path as osp
import re
from typing import Callable, List, Optional, Tuple

_STEP = re.compile(r'(?:^|_)(\d+)\.pth$')
# Keys every checkpoint written by mmengine's Runner.save_checkpoint holds;
# best-score and published checkpoints lack the optimizer or message hub.
_RUNNER_KEYS = ('meta', 'state_dict', 'message_hub')


def _why_unusable(path: str) -> Optional[str]:
    """None when ``path`` is a loadable Runner checkpoint, else why not."""
    from mmcnn.utils.checkpoint import CheckpointError, load_checkpoint_file
    if not osp.isfile(path):
        return 'missing'
    try:
        ckpt = load_checkpoint_file(path)
    except CheckpointError as err:
        return f'unreadable ({err})'
    lacking = [key for key in _RUNNER_KEYS if key not in ckpt]
    if lacking:
        return f'not a training checkpoint (no {", ".join(lacking)})'
    return None


def _newest_first(folders: List[str]) -> List[str]:
    """``*.pth`` files in ``folders``: highest step in the name, then most
    recently modified, first. Best-score checkpoints are left out."""
    found = set()
    for folder in folders:
        found.update(p for p in glob.glob(osp.join(folder, '*.pth'))
                     if osp.isfile(p)
                     and not osp.basename(p).startswith('best_'))

    def order(path: str) -> Tuple[int, float]:
        step = _STEP.search(osp.basename(path))
        return (int(step.group(1)) if step else -1, osp.getmtime(path))

    return sorted(found, key=order, reverse=True)


def find_resume_checkpoint(
        work_dir: str,
        report: Callable[[str], None] = print) -> Optional[str]:
    """The checkpoint to resume from in ``work_dir``, or None for a fresh
    start.

    Uses the file ``last_checkpoint`` names when it loads. Otherwise takes
    the newest loadable checkpoint in the work dir (and in the folder
    ``last_checkpoint`` points to) and reports which, and why.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    named = ''
    if not osp.isfile(record):
        problem = f'{record} does not exist'
    else:
        try:
            with open(record) as f:
                named = f.read().strip()
        except (OSError, UnicodeDecodeError) as err:
            named, problem = '', f'{record} cannot be read ({err})'
        else:
            problem = f'{record} is empty'
        if named:
            if '://' in named:
                return named
            why = _why_unusable(named)
            if why is None:
                return named
            problem = f'{record} names {named}, which is {why}'
    folders = [work_dir] + ([osp.dirname(named)] if named else [])
    skipped = []
    for path in _newest_first(folders):
        if osp.abspath(path) == osp.abspath(named or record):
            continue
        why = _why_unusable(path)
        if why is None:
            report(f'Resume: {problem}; resuming from the newest loadable '
                   f'checkpoint instead: {path}' +
                   (f' (skipped {"; ".join(skipped)})' if skipped else ''))
            return path
        skipped.append(f'{path}: {why}')
    if osp.isfile(record) or skipped:
        report(f'Resume: {problem} and no loadable checkpoint was found in '
               f'{work_dir}' +
               (f' (skipped {"; ".join(skipped)})' if skipped else '') +
               '; training starts from scratch.')
    else:
        report(f'Resume: no checkpoint in {work_dir}; training starts from '
               'scratch.')
    return None
