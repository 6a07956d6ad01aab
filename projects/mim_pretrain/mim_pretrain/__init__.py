"""SparK and FCMAE masked pre-training of mmcnn's backbones (issue 18)."""
from .fcmae import ConvNetFCMAE, FCMAEDecoder
from .sparse import SUPPORTED_FAMILIES, active_patches, to_sparse
from .spark import ConvNetSparK

__all__ = ['SUPPORTED_FAMILIES', 'active_patches', 'to_sparse',
           'ConvNetSparK', 'ConvNetFCMAE', 'FCMAEDecoder']
