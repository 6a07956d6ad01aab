"""SLaK and UniRepLKNet pool before their final norm for classification,
as their official classifiers (and mmcnn's ConvNeXt) do."""
import pytest
import torch

from mmcnn.models import SLaK, UniRepLKNet

SMALL = {
    SLaK: dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
               kernel_sizes=[7, 7, 7, 7], small_kernel=3),
    UniRepLKNet: 'atto',
}


@pytest.mark.parametrize('backbone_type', [SLaK, UniRepLKNet])
def test_pooled_then_normalised(backbone_type):
    torch.manual_seed(0)
    pooled = backbone_type(arch=SMALL[backbone_type], out_indices=(3, ),
                           gap_before_final_norm=True).eval()
    maps = backbone_type(arch=SMALL[backbone_type], out_indices=(3, )).eval()
    maps.load_state_dict(pooled.state_dict())
    with torch.no_grad():
        for param in pooled.norm3.parameters():
            param.uniform_(0.5, 1.5)
        maps.load_state_dict(pooled.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        (vector, ), (feature, ) = pooled(x), maps(x)
        raw = maps.norm3
        maps.norm3 = torch.nn.Identity()
        (unnormed, ) = maps(x)
        maps.norm3 = raw
    width = pooled.embed_dims[3]
    assert vector.shape == (2, width)
    assert feature.shape == (2, width, 2, 2)
    expected = raw(unnormed.mean((2, 3), keepdim=True)).flatten(1)
    torch.testing.assert_close(vector, expected)
    assert not torch.allclose(vector, feature.mean((2, 3)), atol=1e-3)
