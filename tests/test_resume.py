"""Resuming an mmengine run works with torch's weights-only loading on."""
import os

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import (CheckpointError, load_checkpoint_file,
                                    register_safe_globals)


class ToyClassifier(BaseModel):
    """A MogaNet-XT with a linear head, trained by mmengine's Runner."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = MogaNet(arch=dict(embed_dims=[8, 16, 24, 32],
                                          depths=[1, 1, 1, 1],
                                          ffn_ratios=[2, 2, 2, 2]),
                                out_indices=(3, ))
        self.head = torch.nn.Linear(32, 2)

    def forward(self, inputs, labels, mode='tensor'):
        feats = self.backbone(inputs)[0].mean((2, 3))
        logits = self.head(feats)
        if mode == 'loss':
            return dict(loss=torch.nn.functional.cross_entropy(
                logits, labels))
        return logits


class ToyData(Dataset):

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(index)
        return dict(inputs=torch.randn(3, 32, 32, generator=gen),
                    labels=torch.tensor(index % 2))


def make_runner(work_dir: str, max_epochs: int, resume: bool) -> Runner:
    return Runner(
        model=ToyClassifier(),
        work_dir=work_dir,
        train_dataloader=dict(dataset=ToyData(), batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmengine')


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
