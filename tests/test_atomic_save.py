"""A kill while a checkpoint is being written leaves the previous one."""
import subprocess
import sys
import textwrap

import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

import mmcnn  # noqa: F401
from mmcnn.utils.checkpoint import load_checkpoint_file
from mmcnn.utils.fileio import AtomicLocalBackend


def test_local_paths_use_the_atomic_backend(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path / 'x.pth')),
                      AtomicLocalBackend)


def test_sigkill_during_save_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, str(path))
    child = textwrap.dedent(f"""
        import os, signal
        import torch
        import mmcnn
        from mmengine.runner.checkpoint import save_checkpoint

        def die(fd):
            os.kill(os.getpid(), signal.SIGKILL)

        os.fsync = die  # the new bytes are written, not yet renamed
        save_checkpoint({{'state_dict': {{'w': torch.zeros(1000)}}}},
                        {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, '-c', child])
    assert proc.returncode == -9
    ckpt = load_checkpoint_file(str(path))
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()
                  if not p.name.startswith('.')) == ['epoch_1.pth']
