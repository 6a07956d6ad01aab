# MogaNet large for the det / seg / pose configs: ``moganet_l`` (the backbone
# with its release checkpoint) and ``moganet_l_widths`` (its per-stage
# channels) are defined in moganet.py with the family's other sizes; this file
# inherits it (so it holds every size) to name the size by path. A task config
# writes ``backbone=dict(_base_.moganet_l, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.moganet_l_widths``.
_base_ = './moganet.py'
