"""Resuming an mmengine run reads its checkpoint with mmcnn's safe reader."""
import os

import pytest
import torch
from _toy import make_runner

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import CheckpointError, load_checkpoint_file


def test_resume_with_safe_reader(tmp_path):
    assert not os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    work_dir = str(tmp_path)
    make_runner(work_dir, max_epochs=2, resume=False).train()
    ckpt = tmp_path / 'epoch_2.pth'
    assert ckpt.is_file()

    with pytest.raises(Exception, match='weights_only'):
        torch.load(ckpt, weights_only=True)  # torch's list is not widened
    content = load_checkpoint_file(str(ckpt))
    assert content['meta']['epoch'] == 2
    assert 'message_hub' in content

    runner = make_runner(work_dir, max_epochs=3, resume=True)
    runner.train()
    assert runner.epoch == 3
    assert runner.iter == 6
    assert (tmp_path / 'epoch_3.pth').is_file()


def test_truncated_checkpoint_has_clear_error(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': MogaNet(arch='xtiny').state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='truncated or corrupt'):
        load_checkpoint_file(str(path))
