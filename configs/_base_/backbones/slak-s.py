# SLaK small for the det / seg / pose configs: ``slak_s`` (the backbone with
# its release checkpoint) and ``slak_s_widths`` (its per-stage channels) are
# defined in slak.py with SLaK tiny; this file inherits it (so it holds both
# sizes) to name the size by path. A task config writes
# ``backbone=dict(_base_.slak_s, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.slak_s_widths``.
_base_ = './slak.py'
