"""UniRepLKNet backbone: sizes, kernel schedules, re-parameterisation of
its blocks, checkpoints (the backbone contract: test_contract.py)."""
import argparse
import math

import pytest
import torch
import torch.nn.functional as F
from _helpers import (TINY_ARCHS, classifier_tensors, count_params,
                      randomise, rel_error)
from torch import nn

from mmcnn.models import UniRepLKNet
from mmcnn.models.backbones.unireplknet import (DilatedReparamBlock,
                                                UniRepLKNetBlock)
from mmcnn.models.layers import dilate_kernel

# README / paper #params of the ImageNet classifiers (1000-class head), which
# are those of the re-parameterised (deploy) form; (value, decimals).
PARAMS_M = {
    'a': (4.4, 1), 'f': (6.2, 1), 'p': (10.7, 1), 'n': (18.3, 1),
    't': (31, 0), 's': (56, 0), 'b': (98, 0), 'l': (218, 0), 'xl': (386, 0),
}

MIXED = TINY_ARCHS['UniRepLKNet']


@pytest.mark.parametrize('arch', sorted(PARAMS_M))
def test_param_counts_match_paper(arch):
    with torch.device('meta'):
        train = UniRepLKNet(arch, out_indices=(3, ))
        deploy = UniRepLKNet(arch, out_indices=(3, ), deploy=True)
    width = deploy.embed_dims[-1]
    # norm3 stands in for the classifier's final LayerNorm (same size).
    total = (count_params(deploy) + width * 1000 + 1000) / 1e6
    published, digits = PARAMS_M[arch]
    scale = 10**digits
    assert published in (math.floor(total * scale) / scale,
                         round(total * scale) / scale)
    assert count_params(deploy) < count_params(train)


def test_kernel_schedules_follow_official_code():
    tiny = UniRepLKNet.arch_zoo['t']['kernel_sizes']
    small = UniRepLKNet.arch_zoo['s']['kernel_sizes']
    assert tiny[2] == [13, 3] * 9 and small[2] == [13, 3, 3] * 9
    assert UniRepLKNet.arch_zoo['a']['kernel_sizes'] == [
        [3, 3], [13, 13], [13] * 6, [13, 13]]
    with pytest.raises(ValueError, match='one kernel per block'):
        UniRepLKNet(dict(MIXED, depths=[2, 2, 3, 2]))


@pytest.mark.parametrize('kernel_size, dilation', [(5, 2), (3, 5), (9, 2)])
def test_dilated_kernel_equals_dilated_conv(kernel_size, dilation):
    kernel = torch.randn(4, 1, kernel_size, kernel_size)
    x = torch.randn(1, 4, 31, 29)
    span = dilation * (kernel_size - 1) + 1
    dilated = F.conv2d(x, kernel, padding=span // 2, dilation=dilation,
                       groups=4)
    dense = F.conv2d(x, dilate_kernel(kernel, dilation), padding=span // 2,
                     groups=4)
    assert dilate_kernel(kernel, dilation).shape[-1] == span
    assert torch.allclose(dense, dilated, atol=1e-5)


def test_dilated_reparam_block_merges_all_branches():
    block = randomise(DilatedReparamBlock(8, 13)).eval()
    assert [n for n, _ in block.named_children()] == [
        'lk_origin', 'origin_bn', 'dil_conv_k5_1', 'dil_bn_k5_1',
        'dil_conv_k7_2', 'dil_bn_k7_2', 'dil_conv_k3_3', 'dil_bn_k3_3',
        'dil_conv_k3_4', 'dil_bn_k3_4', 'dil_conv_k3_5', 'dil_bn_k3_5']
    x = torch.randn(2, 8, 19, 23)
    with torch.no_grad():
        expected = block(x)
        block.switch_to_deploy()
        assert [n for n, _ in block.named_children()] == ['lk_origin']
        assert rel_error(block(x), expected) < 1e-5
    with pytest.raises(ValueError, match='kernel size 12'):
        DilatedReparamBlock(8, 12)


def test_deploy_form_drops_the_training_branches():
    model = UniRepLKNet(MIXED).eval()
    model.switch_to_deploy()
    keys = list(model.state_dict())
    assert not any('dil_' in k or 'origin_bn' in k or k.endswith('act.1.beta')
                   for k in keys)
    blocks = [m for m in model.modules() if isinstance(m, UniRepLKNetBlock)]
    assert all(b.gamma is None and isinstance(b.norm, nn.Identity)
               for b in blocks)


def test_block_without_layer_scale_reparameterises():
    block = randomise(UniRepLKNetBlock(8, 3, layer_scale_init_value=0)).eval()
    x = torch.randn(2, 8, 9, 7)
    with torch.no_grad():
        expected = block(x)
        block.switch_to_deploy()
        assert rel_error(block(x), expected) < 1e-5


def official_state(model: UniRepLKNet, classifier: bool) -> dict:
    """Shaped like the official files: GRN parameters ``(1, 1, 1, C)``,
    ``norm``/``head`` for classifiers."""
    state = {}
    for key, value in model.state_dict().items():
        value = torch.randn_like(value) if value.is_floating_point() else value
        if key.endswith(('act.1.gamma', 'act.1.beta')):
            value = value.reshape(1, 1, 1, -1)
        if classifier and key.startswith('norm'):
            continue
        state[key] = value
    if classifier:
        width = model.embed_dims[-1]
        state.update(classifier_tensors(width))
    return state


def test_official_classification_checkpoint_loads(tmp_path):
    model = UniRepLKNet(MIXED, out_indices=(0, 1, 2))
    state = official_state(model, classifier=True)
    assert state['stages.1.0.act.1.gamma'].shape == (1, 1, 1, 128)
    assert 'stages.3.1.dwconv.dil_conv_k7_2.weight' in state
    assert 'stages.0.1.pwconv2.2.running_var' in state
    path = tmp_path / 'unireplknet_t_in1k_224_acc83.21.pth'
    torch.save({'model': state, 'args': argparse.Namespace()}, path)
    model = UniRepLKNet(MIXED, out_indices=(0, 1, 2), init_cfg=dict(
        type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    for key, value in model.state_dict().items():
        if not key.startswith('norm'):
            assert torch.equal(value, state[key].reshape(value.shape)), key


def test_official_deploy_checkpoint_loads_into_deploy_model(tmp_path):
    """The official ``reparameterize.py`` writes no GRN ``beta``."""
    source = UniRepLKNet(MIXED, deploy=True)
    state = official_state(source, classifier=False)
    assert not any(k.endswith('act.1.beta') for k in state)
    path = tmp_path / 'casc_mask_rcnn_unireplknet_t_deploy.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in state.items()},
                'meta': {}}, path)
    model = UniRepLKNet(MIXED, deploy=True, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.',
        strict=True))
    model.init_weights()
    assert torch.equal(model.stages[2][1].act[1].gamma,
                       state['stages.2.1.act.1.gamma'].flatten())
