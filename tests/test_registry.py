"""mmcnn's registry is a child of mmengine's root and the documented
``custom_imports`` line registers the backbones (every family builds from
the downstream registries: test_contract.py)."""
import mmcnn.models  # noqa: F401
from mmcnn.models import MogaNet
from mmcnn.registry import MODELS


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
