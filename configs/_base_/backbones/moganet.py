# Every size of MogaNet as a backbone fragment (``moganet_xt`` ..
# ``moganet_xl``) with its release checkpoint and its per-stage widths
# (``moganet_xt_widths`` ...): a task config lists this file and picks a
# size by its key; a config for another size inherits it and swaps the key.
# MogaNet-XT is moganet-xt.py's; the larger sizes are defined here from it,
# changing the arch, the drop path rate and the checkpoint, and
# moganet-t.py .. moganet-xl.py name them by inheriting this file.
_base_ = './moganet-xt.py'

moganet_t = dict(
    _base_.moganet_xt,
    arch='tiny',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/download/'
        'moganet-in1k-weights/moganet_tiny_sz224_8xbs128_ep300.pth.tar'))
moganet_t_widths = [32, 64, 128, 256]

moganet_s = dict(
    _base_.moganet_xt,
    arch='small',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/download/'
        'moganet-in1k-weights/moganet_small_sz224_8xbs128_ep300.pth.tar'))
moganet_s_widths = [64, 128, 320, 512]

moganet_b = dict(
    _base_.moganet_xt,
    arch='base',
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/download/'
        'moganet-in1k-weights/moganet_base_sz224_8xbs128_ep300.pth.tar'))
moganet_b_widths = [64, 160, 320, 512]

moganet_l = dict(
    _base_.moganet_xt,
    arch='large',
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/download/'
        'moganet-in1k-weights/moganet_large_sz224_8xbs64_ep300.pth.tar'))
moganet_l_widths = [64, 160, 320, 640]

moganet_xl = dict(
    _base_.moganet_xt,
    arch='xlarge',
    drop_path_rate=0.4,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/download/'
        'moganet-in1k-weights/moganet_xlarge_sz224_8xbs64_ep300.pth.tar'))
moganet_xl_widths = [96, 192, 480, 960]
