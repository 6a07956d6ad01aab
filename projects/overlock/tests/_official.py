"""A compact functional transcription of the official OverLoCK forward
(LMMMEng/OverLoCK: ``models/overlock.py``, ``detection/models/overlock.py``,
``segmentation/models/overlock.py``) on an official-layout state dict, and
NATTEN's ``na2d_av`` written as its CUDA kernel computes it (window start
``get_window_start`` of ``natten/csrc``, then a gathered weighted sum).

It shares no code with ``projects.overlock``: the tests compare the two on
the same random weights.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
State = Dict[str, Tensor]

ARCHS = {
    'xt': dict(depth=[2, 2, 3, 2], sub_depth=[6, 2],
               dims=[56, 112, 256, 336], heads=[4, 6]),
    't': dict(depth=[4, 4, 6, 2], sub_depth=[12, 2],
              dims=[64, 128, 256, 512], heads=[4, 8]),
}
KERNELS = [17, 15, 13, 7]
BRANCHES = {
    17: ([5, 7, 9, 3, 3, 3], [1, 1, 2, 4, 5, 7]),
    15: ([5, 7, 7, 3, 3, 3], [1, 1, 2, 3, 5, 7]),
    13: ([5, 7, 7, 3, 3, 3], [1, 1, 2, 3, 4, 5]),
    7: ([5, 3, 3, 3], [1, 1, 2, 3]),
    5: ([3, 3], [1, 2]),
}


def natten_window_start(i: int, length: int, kernel: int,
                        dilation: int) -> int:
    """NATTEN's ``get_window_start`` (neighbourhood ``kernel // 2``)."""
    r = kernel // 2
    if dilation <= 1:
        return max(i - r, 0) + (i + r >= length) * (length - i - r - 1)
    if i - r * dilation < 0:
        return i % dilation
    if i + r * dilation >= length:
        rem = i % dilation
        a = (length // dilation) * dilation
        b = length - a
        if rem < b:
            return length - b + rem - 2 * r * dilation
        return a + rem - kernel * dilation
    return i - r * dilation


def reference_na2d_av(attn: Tensor, value: Tensor, kernel: int,
                      dilation: int = 1) -> Tensor:
    """Unfold-style ``na2d_av``: gather every pixel's ``K x K`` neighbours
    by NATTEN's window starts, then ``sum_k attn_k * v_k``."""
    b, g, h, w, c = value.shape
    rows = torch.tensor([[natten_window_start(i, h, kernel, dilation)
                          + p * dilation for p in range(kernel)]
                         for i in range(h)])
    cols = torch.tensor([[natten_window_start(j, w, kernel, dilation)
                          + q * dilation for q in range(kernel)]
                         for j in range(w)])
    taps = value[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    taps = taps.reshape(b, g, h, w, kernel * kernel, c)
    return torch.einsum('bghwk,bghwkc->bghwc', attn, taps)


def official_rpb(attn: Tensor, rpb: Tensor, height: int, width: int,
                 kernel: int) -> Tensor:
    """The official ``apply_rpb``: bias indices of the centre row/column
    repeated over the interior, the flattened index table flipped."""
    size = 2 * kernel - 1
    idx = torch.arange(kernel)
    idx_k = (idx.unsqueeze(-1) * size + idx).view(-1)
    rep_h = torch.ones(kernel, dtype=torch.long)
    rep_w = torch.ones(kernel, dtype=torch.long)
    rep_h[kernel // 2] = height - (kernel - 1)
    rep_w[kernel // 2] = width - (kernel - 1)
    hw = (idx.repeat_interleave(rep_h).unsqueeze(-1) * size
          + idx.repeat_interleave(rep_w))
    index = (hw.unsqueeze(-1) + idx_k).reshape(-1, kernel * kernel)
    index = torch.flip(index, [0])
    bias = torch.flatten(rpb, 1, 2)[:, index]
    return attn + bias.reshape(1, rpb.shape[0], height, width, kernel**2)


class Official:
    """The official forward on ``state`` (official keys)."""

    def __init__(self, state: State, arch: str, smk: int = 5) -> None:
        self.s = state
        self.a = ARCHS[arch]
        self.smk = smk

    # primitive layers -------------------------------------------------
    def conv(self, key: str, x: Tensor, stride: int = 1,
             groups: int = 1, dilation: int = 1) -> Tensor:
        w = self.s[key + '.weight']
        pad = dilation * (w.shape[-1] - 1) // 2
        return F.conv2d(x, w, self.s.get(key + '.bias'), stride, pad,
                        dilation, groups)

    def dw(self, key: str, x: Tensor, dilation: int = 1) -> Tensor:
        return self.conv(key, x, groups=x.shape[1], dilation=dilation)

    def bn(self, key: str, x: Tensor) -> Tensor:
        s = self.s
        return F.batch_norm(x, s[key + '.running_mean'],
                            s[key + '.running_var'], s[key + '.weight'],
                            s[key + '.bias'], False, 0., 1e-5)

    def ln(self, key: str, x: Tensor) -> Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2],
                         self.s[key + '.weight'], self.s[key + '.bias'],
                         1e-6)
        return y.permute(0, 3, 1, 2)

    def grn(self, key: str, x: Tensor) -> Tensor:
        gx = torch.norm(x, p=2, dim=(-1, -2), keepdim=True)
        nx = gx / (gx.mean(dim=1, keepdim=True) + 1e-6)
        return ((self.s[key + '.gamma'] * nx + 1) * x
                + self.s[key + '.beta'])

    def scale(self, key: str, x: Tensor) -> Tensor:
        return F.conv2d(x, self.s[key + '.weight'], self.s[key + '.bias'],
                        groups=x.shape[1])

    def res_dw(self, key: str, x: Tensor) -> Tensor:
        return x + self.dw(key, x)

    def se(self, key: str, x: Tensor) -> Tensor:
        y = x.mean((2, 3), keepdim=True)
        y = torch.sigmoid(self.conv(key + '.proj.3',
                                    F.gelu(self.conv(key + '.proj.1', y))))
        return x * y

    def dilated(self, key: str, x: Tensor, kernel: int) -> Tensor:
        if key + '.origin_bn.weight' not in self.s:
            return self.dw(key + '.lk_origin', x)
        out = self.bn(key + '.origin_bn', self.dw(key + '.lk_origin', x))
        for k, r in zip(*BRANCHES[kernel]):
            out = out + self.bn(f'{key}.dil_bn_k{k}_{r}',
                                self.dw(f'{key}.dil_conv_k{k}_{r}', x, r))
        return out

    # blocks ---------------------------------------------------------------
    def rep_block(self, key: str, x: Tensor, kernel: int) -> Tensor:
        x = self.res_dw(key + '.dwconv', x)
        p = key + '.proj'
        y = self.ln(p + '.0', x)
        y = self.se(p + '.3', self.bn(p + '.2',
                                      self.dilated(p + '.1', y, kernel)))
        y = F.gelu(self.conv(p + '.4', y))
        y = self.grn(p + '.7', self.res_dw(p + '.6', y))
        y = self.conv(p + '.8', y)
        ls = (self.scale(key + '.ls', x) if key + '.ls.weight' in self.s
              else x)
        return ls + y

    def dyn_block(self, key: str, x: Tensor, h: Tensor, h_r: Tensor,
                  kernel: int, heads: int, last: bool
                  ) -> Tuple[Tensor, Optional[Tensor]]:
        s, smk, g = self.s, self.smk, heads * 2
        n, c, hh, ww = x.shape
        c_h = h.shape[1]
        if key + '.x_scale.weight' in s:
            h = self.scale(key + '.x_scale', h) + self.scale(
                key + '.h_scale', h_r)
        xf = self.res_dw(key + '.dwconv1', torch.cat([x, h], 1))
        identity = xf
        xf = self.ln(key + '.norm1', xf)
        u = self.conv(key + '.fusion.0', xf, groups=xf.shape[1])
        u = self.conv(key + '.fusion.3', F.gelu(self.bn(key + '.fusion.1',
                                                        u)))
        u = self.grn(key + '.fusion.4', u)
        gate = F.silu(self.bn(key + '.gate.1', self.conv(key + '.gate.0',
                                                         u)))
        lepe = self.bn(key + '.lepe.1', self.dilated(key + '.lepe.0', u,
                                                     kernel))
        size = (hh, ww)
        padded = min(hh, ww) < kernel
        if padded:
            if hh < ww:
                size = (kernel, int(kernel / hh * ww))
            else:
                size = (int(kernel / ww * hh), kernel)
            u_in = F.interpolate(u, size=size, mode='bilinear',
                                 align_corners=False)
            xf = F.interpolate(xf, size=size, mode='bilinear',
                               align_corners=False)
        else:
            u_in = u
        H, W = size
        q, k = xf[:, :c], xf[:, c:]
        q = self.bn(key + '.weight_query.1',
                    self.conv(key + '.weight_query.0', q))
        q = q * (c // g)**-0.5
        k = F.adaptive_avg_pool2d(k, 7)
        k = self.bn(key + '.weight_key.2', self.conv(key + '.weight_key.1',
                                                     k))
        q = q.reshape(n, g, -1, H * W)
        k = k.reshape(n, g, -1, 49)
        wgt = torch.einsum('bgcn,bgcl->bgnl', q, k)
        wgt = wgt.permute(0, 3, 1, 2)
        wgt = self.conv(key + '.weight_proj', wgt)
        wgt = wgt.reshape(n, -1, g, H, W).permute(0, 2, 3, 4, 1)
        a1, a2 = wgt[..., :smk**2], wgt[..., smk**2:]
        a1 = official_rpb(a1, s[key + '.rpb1'], H, W, smk).softmax(-1)
        a2 = official_rpb(a2, s[key + '.rpb2'], H, W, kernel).softmax(-1)
        v = u_in.reshape(n, 2, g, c // (2 * g), H, W).permute(1, 0, 2, 4, 5,
                                                              3)
        out = torch.cat([reference_na2d_av(a1, v[0], smk),
                         reference_na2d_av(a2, v[1], kernel)], 1)
        out = out.permute(0, 1, 4, 2, 3).reshape(n, c, H, W)
        if padded:
            out = F.adaptive_avg_pool2d(out, (hh, ww))
        out = self.bn(key + '.dyconv_proj.1',
                      self.conv(key + '.dyconv_proj.0', out)) + lepe
        out = self.se(key + '.se_layer', out) * gate
        out = self.conv(key + '.proj.1', self.bn(key + '.proj.0', out))
        z = self.scale(key + '.ls1', identity) + out
        z = self.res_dw(key + '.dwconv2', z)
        m = self.ln(key + '.norm2', z)
        m = F.gelu(self.conv(key + '.mlp.0', m))
        m = self.conv(key + '.mlp.4', self.grn(key + '.mlp.3',
                                              self.res_dw(key + '.mlp.2', m)))
        z = self.scale(key + '.ls2', z) + m
        if last:
            return z, None
        return z[:, :c], z[:, c:c + c_h]

    # network ----------------------------------------------------------
    def stem(self, x: Tensor) -> Tensor:
        for i, stride in zip((0, 3, 6, 9), (2, 1, 2, 1)):
            x = self.bn(f'patch_embed1.{i + 1}',
                        self.conv(f'patch_embed1.{i}', x, stride))
            if i < 9:
                x = F.gelu(x)
        return x

    def down(self, key: str, x: Tensor) -> Tensor:
        return self.bn(key + '.1', self.conv(key + '.0', x, 2))

    def forward(self, x: Tensor, mode: str) -> List[Tensor]:
        """``mode``: ``'cls'`` (the features the classifier head takes),
        ``'det'`` or ``'seg'`` (the dense backbones' four outputs)."""
        a, dense = self.a, mode != 'cls'
        outs = []
        x = self.stem(x)
        for j in range(a['depth'][0]):
            x = self.rep_block(f'blocks1.{j}', x, KERNELS[0])
        outs.append(self.ln('extra_norm.0', x) if dense else x)
        x = self.down('patch_embed2', x)
        for j in range(a['depth'][1]):
            x = self.rep_block(f'blocks2.{j}', x, KERNELS[1])
        if dense:
            x = self.ln('extra_norm.1', x)
        outs.append(x)
        x = self.down('patch_embed3', x)
        for j in range(a['depth'][2]):
            x = self.rep_block(f'blocks3.{j}', x, KERNELS[2])
        ctx = self.down('patch_embed4', x)
        for j in range(a['depth'][3]):
            ctx = self.rep_block(f'blocks4.{j}', ctx, KERNELS[3])
        ctx_cls = ctx
        ctx_ori = self.conv('high_level_proj', ctx)
        ctx_up = F.interpolate(ctx_ori, size=x.shape[2:], mode='bilinear',
                               align_corners=False)
        h = ctx_up
        for j in range(a['sub_depth'][0]):
            x, h = self.dyn_block(f'sub_blocks3.{j}', x, h, ctx_up,
                                  KERNELS[2], a['heads'][0], False)
        if dense:
            outs.append(self.ln('extra_norm.2', torch.cat([x, h], 1)))
        x = self.down('patch_embedx.x_proj', x)
        h = self.down('patch_embedx.h_proj', h)
        depth = a['sub_depth'][1]
        for j in range(depth):
            x, h = self.dyn_block(f'sub_blocks4.{j}', x, h, ctx_ori,
                                  KERNELS[3], a['heads'][1], j == depth - 1)
        if mode == 'cls':
            return [x]
        x = self.ln('extra_norm.3', x)
        if mode == 'det':
            c = self.ln('extra_norm.4', ctx_cls)
            x = x + self.scale('h_proj.1', self.conv('h_proj.0', c))
        outs.append(x)
        return outs

    def logits(self, x: Tensor) -> Tensor:
        """The official classifier's eval-mode scores."""
        f = self.forward(x, 'cls')[0]
        f = F.silu(self.bn('head.1', self.conv('head.0', f)))
        return self.conv('head.4', f.mean((2, 3), keepdim=True)).flatten(1)
