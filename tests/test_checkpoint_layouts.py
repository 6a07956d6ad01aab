"""Release layouts: the weights and EMA weights are found in each."""
import pytest
import torch

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import (CheckpointError, extract_state_dict,
                                    load_pretrained)

ARCH = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
            ffn_ratios=[2, 2, 2, 2])


def weights(seed: int) -> dict:
    torch.manual_seed(seed)
    return {k: torch.randn_like(v) if v.is_floating_point() else v
            for k, v in MogaNet(arch=ARCH).state_dict().items()}


@pytest.mark.parametrize('regular,ema', [
    ('state_dict', 'state_dict_ema'),  # timm
    ('model', 'model_ema'),            # FAIR ConvNeXt, Swin codebases
    ('state_dict', 'ema_state_dict'),  # mmengine EMAHook
])
def test_ema_in_every_release_layout(tmp_path, regular, ema):
    plain, averaged = weights(0), weights(1)
    path = tmp_path / 'release.pth'
    torch.save({regular: plain, ema: averaged, 'epoch': 3}, path)
    for use_ema, expected in ((False, plain), (True, averaged)):
        model = MogaNet(arch=ARCH)
        load_pretrained(model, str(path), use_ema=use_ema)
        got = model.state_dict()
        assert all(torch.equal(got[k], v) for k, v in expected.items())


def test_missing_ema_names_the_keys_it_looked_for():
    with pytest.raises(CheckpointError) as err:
        extract_state_dict({'model': weights(0)}, use_ema=True)
    for key in ('state_dict_ema', 'model_ema', 'ema_state_dict', "'model'"):
        assert key in str(err.value)
    assert 'use_ema=False' in str(err.value)


def test_swin_codebase_config_is_skipped_not_constructed(tmp_path):
    """A Swin-codebase release pickles a yacs ``CfgNode`` as ``config``:
    the weights load, the node's class is neither imported nor run."""
    import sys
    import types
    yacs = types.ModuleType('yacs')
    yacs_config = types.ModuleType('yacs.config')
    calls = []

    class CfgNode(dict):
        def __init__(self, init_dict=None):
            super().__init__(init_dict or {})
            self.__dict__['__immutable__'] = False

        def __setstate__(self, state):
            calls.append('setstate')
            self.__dict__.update(state)

    CfgNode.__module__ = 'yacs.config'
    CfgNode.__qualname__ = 'CfgNode'
    yacs_config.CfgNode = CfgNode
    sys.modules.update({'yacs': yacs, 'yacs.config': yacs_config})
    try:
        cfg = CfgNode({'MODEL': CfgNode({'TYPE': 'focal', 'DEPTHS': [2, 2]}),
                       'TRAIN': CfgNode({'EPOCHS': 300})})
        plain = weights(0)
        path = tmp_path / 'swin_layout.pth'
        torch.save({'model': plain, 'optimizer': {}, 'lr_scheduler': {},
                    'max_accuracy': 82.1, 'epoch': 299, 'config': cfg}, path)
    finally:
        del sys.modules['yacs'], sys.modules['yacs.config']
    model = MogaNet(arch=ARCH)
    load_pretrained(model, str(path))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in plain.items())
    assert not calls and 'yacs' not in sys.modules
    from mmcnn.utils.checkpoint import load_checkpoint_file
    from mmcnn.utils.checkpoint_reader import SkippedObject
    config = load_checkpoint_file(str(path))['config']
    assert type(config) is SkippedObject
    assert config['MODEL']['TYPE'] == 'focal'
    assert config.type_name == 'yacs.config.CfgNode'
