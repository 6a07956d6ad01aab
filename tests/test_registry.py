"""mmcnn's backbones resolve from every downstream library's registry."""
import importlib

import pytest
import torch
from mmengine.registry import DefaultScope

import mmcnn.models  # noqa: F401
from mmcnn.models import MogaNet
from mmcnn.registry import MODELS

SCOPES = ['mmdet', 'mmseg', 'mmpose', 'mmpretrain']


@pytest.mark.parametrize('scope', SCOPES)
def test_scoped_name_builds_from_downstream_registry(scope):
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(dict(type='mmcnn.MogaNet', arch='xtiny',
                                    out_indices=(3, )))
    assert type(model) is MogaNet
    assert model(torch.randn(1, 3, 64, 64))[0].shape == (1, 192, 2, 2)


def test_registry_is_child_of_root():
    from mmengine.registry import MODELS as ROOT
    assert MODELS.scope == 'mmcnn'
    assert MODELS.parent is ROOT
    assert ROOT._children['mmcnn'] is MODELS


def test_custom_imports_config(tmp_path):
    """The documented custom_imports config line registers the backbones."""
    from mmengine.config import Config
    from mmdet.registry import MODELS as DET_MODELS
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(
        "custom_imports = dict(imports=['mmcnn.models'], "
        "allow_failed_imports=False)\n"
        "backbone = dict(type='mmcnn.MogaNet', arch='xtiny')\n")
    cfg = Config.fromfile(str(cfg_file))
    assert isinstance(DET_MODELS.build(cfg.backbone), MogaNet)
