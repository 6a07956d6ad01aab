"""A tiny MogaNet classifier and data set for mmengine Runner tests."""
from typing import Optional

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmcnn.models import MogaNet


class ToyClassifier(BaseModel):
    """A 4-stage MogaNet with a linear head; loss is NaN from ``nan_at``."""

    def __init__(self, nan_at: Optional[int] = None) -> None:
        super().__init__()
        self.backbone = MogaNet(arch=dict(embed_dims=[8, 16, 24, 32],
                                          depths=[1, 1, 1, 1],
                                          ffn_ratios=[2, 2, 2, 2]),
                                out_indices=(3, ), drop_path_rate=0.2)
        self.head = torch.nn.Linear(32, 2)
        self.nan_at = nan_at
        self.calls = 0

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.head(self.backbone(inputs)[0].mean((2, 3)))
        if mode != 'loss':
            return logits
        self.calls += 1
        loss = torch.nn.functional.cross_entropy(logits, labels)
        if self.nan_at is not None and self.calls >= self.nan_at:
            loss = loss * float('nan')
        return dict(loss=loss)


class ToyData(Dataset):
    """Eight fixed random 32x32 images with labels 0/1, randomly shifted in
    brightness (an augmentation drawing from numpy's global generator)."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(index)
        shift = float(np.random.uniform(-0.1, 0.1))
        return dict(inputs=torch.randn(3, 32, 32, generator=gen) + shift,
                    labels=torch.tensor(index % 2))


def make_runner(work_dir: str, max_epochs: int, resume: bool = False,
                **kwargs) -> Runner:
    """An epoch-based Runner saving a checkpoint every epoch.

    The model is built after seeding, as the Runner does for configs.
    """
    torch.manual_seed(0)
    return Runner(
        model=kwargs.pop('model', None) or ToyClassifier(),
        work_dir=work_dir,
        train_dataloader=dict(dataset=ToyData(), batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=kwargs.pop('default_hooks', dict(
            checkpoint=dict(type='CheckpointHook', interval=1))),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmengine',
        **kwargs)
