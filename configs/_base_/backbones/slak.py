# Every size of SLaK as a backbone fragment (``slak_t``, ``slak_s``) with
# its release checkpoint and its per-stage widths (``slak_t_widths`` ...):
# a task config lists this file and picks a size by its key; a config for
# another size inherits it and swaps the key. SLaK-T is slak-t.py's;
# SLaK-S is defined here from it (arch, drop path rate and checkpoint), and
# slak-s.py names it by inheriting this file.
_base_ = './slak-t.py'

slak_s = dict(
    _base_.slak_t,
    arch='small',
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/SLaK_small_checkpoint.pth'))
slak_s_widths = [124, 249, 499, 998]
