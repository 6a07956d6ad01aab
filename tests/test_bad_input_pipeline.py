"""Bad images and annotation files in a real mmdet pipeline and Runner."""
import json
import os.path as osp
import zlib

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmcnn.engine.runner_setup import build_runner, train

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
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        load_image(cfg, missing)
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'this is not a jpeg')
    with pytest.raises(ValueError, match="Cannot load image '.*broken.jpg': "
                       'its 18 bytes cannot be decoded as an image'):
        load_image(cfg, str(broken))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 12x8 JPEG whose SOF0 header is patched to ``width x height``."""
    ok, encoded = cv2.imencode('.jpg', np.full((8, 12, 3), 90, np.uint8))
    data = bytearray(encoded.tobytes())
    sof = data.index(b'\xff\xc0')
    assert ok and data[sof + 5:sof + 9] == b'\x00\x08\x00\x0c'
    data[sof + 5:sof + 9] = height.to_bytes(2, 'big') + width.to_bytes(
        2, 'big')
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    """A real 12x8 PNG whose IHDR (and its CRC) says ``width x height``."""
    ok, encoded = cv2.imencode('.png', np.full((8, 12, 3), 90, np.uint8))
    data = bytearray(encoded.tobytes())
    assert ok and data[12:24] == b'IHDR' + bytes([0, 0, 0, 12, 0, 0, 0, 8])
    data[16:24] = width.to_bytes(4, 'big') + height.to_bytes(4, 'big')
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, 'big')
    return bytes(data)


@pytest.mark.parametrize('name,content,problem', [
    ('empty.jpg', b'', r'the file is empty \(0 bytes\)'),
    ('big.jpg', jpeg_claiming(65000, 65000), 'its JPEG header declares '
     '65000x65000 pixels, more than OpenCV decodes'),
    ('big.png', png_claiming(65000, 65000), 'its PNG header declares '
     '65000x65000 pixels, more than OpenCV decodes'),
], ids=['empty-jpeg', 'oversized-jpeg', 'oversized-png'])
def test_empty_and_oversized_images_name_the_file_and_problem(
        cfg, tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=problem) as err:
        load_image(cfg, str(path))
    assert f"Cannot load image '{path}'" in str(err.value)


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
