"""Compile mmcnn's CPU kernels for this machine (run by ``make env``).

    python -m mmcnn.ops.build

Builds ``csrc/*.cpp`` with ``torch.utils.cpp_extension`` into
:func:`mmcnn.ops.build_dir` and records what the build is valid for. A
failed build is reported and leaves the PyTorch paths in use; the exit
status is 0 either way, so the environment set-up goes on.
"""
import os
import time
import traceback

from torch.utils import cpp_extension

from mmcnn import ops


def build() -> bool:
    """Compile and load the library; ``True`` on success."""
    target = ops.build_dir()
    os.makedirs(target, exist_ok=True)
    if os.path.exists(ops.stamp_path()):
        os.remove(ops.stamp_path())
    start = time.perf_counter()
    try:
        cpp_extension.load(
            name=ops.NAME, sources=ops.sources(), build_directory=target,
            extra_cflags=list(ops.CFLAGS), extra_ldflags=list(ops.LDFLAGS),
            is_python_module=False, verbose=False)
    except Exception:  # a compiler error of any kind: fall back
        traceback.print_exc()
        print('mmcnn CPU kernels: the build failed (above); mmcnn runs its '
              'PyTorch paths instead.')
        return False
    with open(ops.stamp_path(), 'w') as f:
        f.write(ops.fingerprint())
    names = ', '.join(os.path.basename(s) for s in ops.sources())
    print(f'mmcnn CPU kernels built in {time.perf_counter() - start:.0f} s '
          f'({names}, {" ".join(ops.CFLAGS)}) -> {ops.library_path()}')
    return True


if __name__ == '__main__':
    build()
