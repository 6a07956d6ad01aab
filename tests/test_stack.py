"""The pinned OpenMMLab 2.x stack works on this machine, compiled ops too."""
import numpy as np
import torch


def test_versions_are_the_pinned_ones():
    import mmcv
    import mmdet
    import mmengine
    import mmpose
    import mmpretrain
    import mmseg
    assert torch.__version__.startswith('2.9.1')
    assert np.__version__.startswith('1.')
    assert (mmcv.__version__, mmengine.__version__, mmdet.__version__,
            mmseg.__version__, mmpose.__version__, mmpretrain.__version__) \
        == ('2.1.0', '0.10.7', '3.3.0', '1.2.2', '1.3.2', '1.2.0')


def test_mmcv_compiled_ops_run_on_cpu():
    from mmcv.ops import RoIAlign, nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [50., 50., 60., 60.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    feats = torch.arange(64.).reshape(1, 1, 8, 8)
    rois = torch.tensor([[0., 0., 0., 3., 3.]])
    out = RoIAlign((2, 2), spatial_scale=1., sampling_ratio=2,
                   aligned=False)(feats, rois)
    assert out.shape == (1, 1, 2, 2)
    assert out[0, 0, 0, 0] < out[0, 0, 1, 1]
