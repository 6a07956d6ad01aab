"""What every config resolves to, to check that a refactoring of the config
tree changed no setting.

``dump`` writes ``Config.fromfile(p).to_dict()`` of every ``*.py`` under the
given folders (``configs`` and ``projects/*/configs`` by default) to one JSON
file, keyed by path; ``diff`` compares two such files and lists every path
whose resolved settings differ, with the differing keys. A refactoring that
only moves settings between files gives an empty diff except for the
top-level helper keys it names with ``--ignore`` (values a config only reads
through ``_base_``, such as a fragment's ``backbone`` and ``widths``, which
no runner reads).

Example::

    python tools/misc/config_snapshot.py dump --out /tmp/before.json
    # ... edit configs ...
    python tools/misc/config_snapshot.py dump --out /tmp/after.json
    python tools/misc/config_snapshot.py diff /tmp/before.json \\
        /tmp/after.json --ignore backbone widths
"""
import argparse
import glob
import json
import os.path as osp
import sys
from typing import Any, Dict, Iterator, List, Sequence

from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

DEFAULT_ROOTS = ('configs', 'projects/*/configs')


def config_files(roots: Sequence[str]) -> List[str]:
    """Every config file below ``roots`` (globs allowed), ``_base_`` ones
    included, sorted."""
    files = set()
    for root in roots:
        for folder in glob.glob(root):
            files.update(glob.glob(osp.join(folder, '**', '*.py'),
                                   recursive=True))
    return sorted(files)


def resolve(path: str) -> Dict[str, Any]:
    """``Config.fromfile(path).to_dict()`` made JSON-safe (tuples become
    lists, other objects their ``repr``), or ``{'<error>': message}``."""
    try:
        cfg = Config.fromfile(path).to_dict()
    except Exception as error:  # noqa: BLE001 - recorded, compared later
        return {'<error>': f'{type(error).__name__}: {error}'}
    return json.loads(json.dumps(cfg, default=repr))


def changed_keys(before: Any, after: Any, prefix: str = '') -> Iterator[str]:
    """Dotted paths at which two resolved configs differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            where = f'{prefix}.{key}' if prefix else str(key)
            if key not in before or key not in after:
                yield where
            else:
                yield from changed_keys(before[key], after[key], where)
    elif before != after:
        yield prefix or '<root>'


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    dump = sub.add_parser('dump', help='resolve every config to JSON')
    dump.add_argument('roots', nargs='*', default=list(DEFAULT_ROOTS))
    dump.add_argument('--out', required=True)
    diff = sub.add_parser('diff', help='compare two dumps')
    diff.add_argument('before')
    diff.add_argument('after')
    diff.add_argument('--ignore', nargs='*', default=[],
                      help='top-level keys not compared')
    args = parser.parse_args(argv)

    if args.command == 'dump':
        snapshot = {path: resolve(path) for path in config_files(args.roots)}
        with open(args.out, 'w') as f:
            json.dump(snapshot, f, indent=1, sort_keys=True)
        errors = sum('<error>' in cfg for cfg in snapshot.values())
        print(f'{len(snapshot)} configs resolved ({errors} failed) '
              f'-> {args.out}')
        return 0

    with open(args.before) as f:
        before = json.load(f)
    with open(args.after) as f:
        after = json.load(f)
    ignored = set(args.ignore)
    differing = 0
    for path in sorted(set(before) | set(after)):
        if path not in before or path not in after:
            print(f'{path}: only in {"after" if path in after else "before"}')
            differing += 1
            continue
        keys = [k for k in changed_keys(before[path], after[path])
                if k.split('.')[0] not in ignored]
        if keys:
            differing += 1
            print(f'{path}: {", ".join(keys[:8])}'
                  + (f' (+{len(keys) - 8} more)' if len(keys) > 8 else ''))
    common = len(set(before) & set(after))
    print(f'{common} configs in both, {differing} differ')
    return 1 if differing else 0


if __name__ == '__main__':
    sys.exit(main())
