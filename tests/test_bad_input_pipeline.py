"""Bad images and annotation files in a real mmdet pipeline and Runner."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tools.misc.runner_setup import build_runner, train

CONFIG = 'configs/det/moganet/retinanet_moganet-xt_fpn_1x_coco.py'


@pytest.fixture
def cfg() -> Config:
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmdet')
    return cfg


def load_image(cfg: Config, path: str) -> dict:
    from mmcv.transforms import Compose
    loader = Compose([cfg.test_pipeline[0]])
    return loader(dict(img_path=path, img_id=0))


@pytest.mark.parametrize('channels', [1, 4])
def test_grayscale_and_rgba_images_become_three_channels(cfg, tmp_path,
                                                         channels):
    from mmdet.apis import inference_detector
    from mmdet.registry import MODELS
    image = np.random.RandomState(0).randint(
        0, 255, (97, 131, channels), dtype=np.uint8)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, image if channels == 4 else image[..., 0])
    assert load_image(cfg, path)['img'].shape == (97, 131, 3)
    model = MODELS.build(cfg.model).eval()
    model.cfg = cfg
    with torch.no_grad():
        result = inference_detector(model, path)
    assert result.pred_instances.bboxes.shape[1] == 4
    assert result.metainfo['ori_shape'] == (97, 131)


def test_missing_and_unreadable_images_name_the_file(cfg, tmp_path):
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(Exception, match='missing.jpg'):
        load_image(cfg, missing)
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'this is not a jpeg')
    with pytest.raises(Exception, match='broken.jpg'):
        load_image(cfg, str(broken))


@pytest.mark.parametrize('content', ['no_images', 'no_annotations'])
def test_empty_annotation_file_stops_training(cfg, tmp_path, content):
    image = np.full((64, 64, 3), 128, np.uint8)
    cv2.imwrite(str(tmp_path / 'a.jpg'), image)
    ann = dict(images=[], annotations=[],
               categories=[dict(id=1, name='person')])
    if content == 'no_annotations':
        ann['images'] = [dict(id=1, file_name='a.jpg', width=64, height=64)]
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(json.dumps(ann))
    run = cfg.copy()
    run.work_dir = str(tmp_path / 'work')
    run.train_dataloader.dataset.update(
        data_root=str(tmp_path), ann_file=str(ann_file),
        data_prefix=dict(img=''), metainfo=dict(classes=('person', )))
    run.train_dataloader.update(num_workers=0, persistent_workers=False)
    runner = build_runner(run)
    with pytest.raises(ValueError, match='training set is empty') as err:
        train(runner)
    assert osp.basename(str(ann_file)) in str(err.value)
