"""mmcnn's registry nodes.

Each node is a child of MMEngine's root registry with the scope ``mmcnn``,
so any downstream library (mmdet, mmseg, mmpose, mmpretrain) resolves
``type='mmcnn.MogaNet'`` through its own registry.
"""
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, scope='mmcnn',
    locations=['mmcnn.models'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope='mmcnn',
    locations=['mmcnn.engine'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='mmcnn',
    locations=['mmcnn.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope='mmcnn',
    locations=['mmcnn.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, scope='mmcnn',
    locations=['mmcnn.engine'])

__all__ = [
    'MODELS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS', 'HOOKS', 'LOOPS'
]
