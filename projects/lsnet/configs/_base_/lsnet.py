# Every size of LSNet as a dense-prediction backbone fragment (``lsnet_t``,
# ``lsnet_s``, ``lsnet_b``) with its official ImageNet-1k checkpoint and its
# per-stage widths (``lsnet_t_widths`` ...): a task config lists this file,
# picks a size by its key and writes
# ``backbone=dict(_base_.lsnet_t, _delete_=True, <overrides>)``.
# As in the official detection and segmentation code: every stage out, no
# output norms, the attention bias learned on a 14x14 grid (the checkpoint's
# 4x4 one resized bicubically on loading) and batch norms kept in eval mode.
_hub = 'https://huggingface.co/jameslahm/lsnet/resolve/main/'
lsnet_t = dict(
    type='mmcnn.LSNet',
    arch='t',
    out_indices=(0, 1, 2, 3),
    norm_eval=True,
    init_cfg=dict(type='Pretrained', checkpoint=_hub + 'lsnet_t.pth'))
lsnet_t_widths = [64, 128, 256, 384]
lsnet_s = dict(lsnet_t, arch='s')
lsnet_s['init_cfg'] = dict(lsnet_t['init_cfg'], checkpoint=_hub + 'lsnet_s.pth')
lsnet_s_widths = [96, 192, 320, 448]
lsnet_b = dict(lsnet_t, arch='b')
lsnet_b['init_cfg'] = dict(lsnet_t['init_cfg'], checkpoint=_hub + 'lsnet_b.pth')
lsnet_b_widths = [128, 256, 384, 512]
