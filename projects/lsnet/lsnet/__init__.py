"""Registers :class:`LSNet` as ``mmcnn.LSNet`` and SKA's FLOP handle when
imported (``custom_imports=dict(imports=['projects.lsnet.lsnet'])``)."""
from .lsnet import LSNet
from .lsnet_fpn import LSNetFPN
from .ska import SKAFunction, ska, ska_reference

__all__ = ['LSNet', 'LSNetFPN', 'SKAFunction', 'ska', 'ska_reference']
