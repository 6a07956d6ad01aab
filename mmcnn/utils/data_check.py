"""Explain an empty training set instead of a numpy error."""
import copy
from typing import Optional


def empty_dataset_message(dataset_cfg: dict) -> Optional[str]:
    """Build the data set described by ``dataset_cfg`` and, when it has no
    samples, say why; ``None`` when it is not empty.

    mmengine's datasets fail on an empty sample list with a bare
    ``need at least one array to concatenate``; this rebuilds the set
    without serialisation to find out what is missing.
    """
    from mmengine.registry import DATASETS
    cfg = copy.deepcopy(dataset_cfg)
    cfg['serialize_data'] = False
    dataset = DATASETS.build(cfg)
    if len(dataset) > 0:
        return None
    source = getattr(dataset, 'ann_file', '') or getattr(
        dataset, 'data_prefix', '')
    detail = ''
    coco = getattr(dataset, 'coco', None)
    if coco is not None:
        names = [c['name'] for c in coco.cats.values()]
        detail = (f' The file lists {len(coco.imgs)} images and '
                  f'{len(coco.anns)} annotations in categories {names}.')
    classes = dataset.metainfo.get('classes')
    return (f'The training set is empty: no usable samples in {source!r}.'
            f'{detail} The data set keeps images annotated with its classes '
            f'{classes}; check data_root/ann_file/data_prefix, that the file '
            'has images and annotations, and that metainfo.classes names its '
            'categories.')
