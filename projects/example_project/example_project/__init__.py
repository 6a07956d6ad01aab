"""Registers :class:`TinyNet` as ``mmcnn.TinyNet`` when imported
(``custom_imports=dict(imports=['projects.example_project.example_project'])``)."""
from .tinynet import TinyNet

__all__ = ['TinyNet']
