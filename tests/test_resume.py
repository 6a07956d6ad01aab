"""Resuming an mmengine run works with torch's weights-only loading on."""
import os

import pytest
import torch
from _toy import make_runner

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import (CheckpointError, load_checkpoint_file,
                                    register_safe_globals)


def test_resume_with_weights_only_loading(tmp_path):
    assert not os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    work_dir = str(tmp_path)
    make_runner(work_dir, max_epochs=2, resume=False).train()
    ckpt = tmp_path / 'epoch_2.pth'
    assert ckpt.is_file()

    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match='weights_only'):
            torch.load(ckpt, weights_only=True)
    finally:
        register_safe_globals()
    content = torch.load(ckpt, weights_only=True)
    assert content['meta']['epoch'] == 2
    assert 'message_hub' in content

    runner = make_runner(work_dir, max_epochs=3, resume=True)
    runner.train()
    assert runner.epoch == 3
    assert runner.iter == 6
    assert (tmp_path / 'epoch_3.pth').is_file()


def test_code_running_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), 'w'))

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': Exploit()}, path)
    with pytest.raises(CheckpointError, match='Refused to load'):
        load_checkpoint_file(str(path))
    assert not marker.exists()


def test_truncated_checkpoint_has_clear_error(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': MogaNet(arch='xtiny').state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='truncated or corrupt'):
        load_checkpoint_file(str(path))


def test_getattr_is_limited_to_history_buffer_methods(tmp_path):
    import argparse

    class Reach:
        def __reduce__(self):
            return (getattr, (argparse.Namespace, '__init__'))

    path = tmp_path / 'reach.pth'
    torch.save({'x': Reach()}, path)
    with pytest.raises(CheckpointError, match='Refused to load'):
        load_checkpoint_file(str(path))
