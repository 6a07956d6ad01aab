"""A NaN loss stops training with a message; the last good checkpoint stays."""
import pytest
import torch
from _toy import ToyClassifier, make_runner

from mmcnn.engine import FiniteLossHook
from mmcnn.utils.checkpoint import load_checkpoint_file


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    # 2 iterations per epoch: epoch 1 is saved, the loss is NaN at iter 3.
    runner = make_runner(str(tmp_path), max_epochs=3,
                         model=ToyClassifier(nan_at=3),
                         custom_hooks=[dict(type=FiniteLossHook)])
    with pytest.raises(FloatingPointError,
                       match=r'nan at iteration 3 .*epoch_1\.pth'):
        runner.train()
    assert not (tmp_path / 'epoch_2.pth').exists()
    state = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())
