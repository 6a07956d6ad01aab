# mmdet's runtime, with mmcnn's backbones and optimizer constructors
# registered.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine'], allow_failed_imports=False)
# Writes the new checkpoint and last_checkpoint atomically before removing
# outdated ones (mmengine removes them first).
default_hooks = dict(checkpoint=dict(type='mmcnn.CheckpointHook'))
