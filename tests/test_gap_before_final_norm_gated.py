"""HorNet and ConvFormer can pool before their final norm for
classification, the order of their official classifiers."""
import pytest
import torch

from mmcnn.models import ConvFormer, HorNet

SMALL = {
    HorNet:
    dict(
        embed_dims=[8, 8, 16, 16],
        depths=[1, 1, 1, 1],
        orders=[2, 3, 4, 5],
        global_filter=[False] * 4),
    ConvFormer:
    dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1]),
}


def _unnormed(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The last stage's map before ``norm3``, as NCHW."""
    maps = []
    handle = model.norm3.register_forward_hook(
        lambda module, args, out: maps.append(args[0]))
    model(x)
    handle.remove()
    (feature, ) = maps
    if feature.shape[-1] == model.embed_dims[3]:
        feature = feature.permute(0, 3, 1, 2)
    return feature


@pytest.mark.parametrize('backbone_type', [HorNet, ConvFormer])
def test_pooled_then_normalised(backbone_type):
    torch.manual_seed(0)
    pooled = backbone_type(
        arch=SMALL[backbone_type],
        out_indices=(3, ),
        gap_before_final_norm=True).eval()
    maps = backbone_type(arch=SMALL[backbone_type], out_indices=(3, )).eval()
    with torch.no_grad():
        for param in pooled.norm3.parameters():
            param.uniform_(0.5, 1.5)
    maps.load_state_dict(pooled.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        (vector, ), (feature, ) = pooled(x), maps(x)
        unnormed = _unnormed(maps, x)
    width = pooled.embed_dims[3]
    assert vector.shape == (2, width)
    assert feature.shape == (2, width, 2, 2)
    mean = unnormed.mean((2, 3))
    expected = torch.nn.functional.layer_norm(mean, (width, ),
                                              pooled.norm3.weight,
                                              pooled.norm3.bias,
                                              pooled.norm3.eps)
    torch.testing.assert_close(vector, expected)
    assert not torch.allclose(vector, feature.mean((2, 3)), atol=1e-3)
