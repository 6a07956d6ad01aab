"""Registers ``mmcnn.OverLoCK`` (and the classifier head) when imported,
and the FLOP handle of the neighbourhood aggregation."""
from .neighborhood import na2d_av, relative_bias
from .overlock import OverLoCK, OverLoCKClsHead

__all__ = ['OverLoCK', 'OverLoCKClsHead', 'na2d_av', 'relative_bias']
