# mmdet's runtime, with mmcnn's backbones and optimizer constructors
# registered.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine'], allow_failed_imports=False)
