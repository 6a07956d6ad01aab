"""Refuse to train on an empty data set, saying why it is empty."""
from mmengine.hooks import Hook

from mmcnn.registry import HOOKS


@HOOKS.register_module()
class DatasetCheckHook(Hook):
    """Raise before training when the training set has no samples.

    An annotation file without images, one whose annotations all belong to
    classes outside ``metainfo.classes`` (removed by ``filter_empty_gt``),
    or an empty image folder otherwise gives a run that does nothing or a
    sampler error far from the cause.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        if len(dataset) > 0:
            return
        source = getattr(dataset, 'ann_file', '') or getattr(
            dataset, 'data_prefix', '')
        detail = ''
        coco = getattr(dataset, 'coco', None)
        if coco is not None:
            detail = (f' The file lists {len(coco.imgs)} images and '
                      f'{len(coco.anns)} annotations in categories '
                      f'{[c["name"] for c in coco.cats.values()]}.')
        classes = dataset.metainfo.get('classes')
        raise ValueError(
            f'The training set is empty: no usable samples in {source!r}.'
            f'{detail} The data set keeps images annotated with its classes '
            f'{classes}; check data_root/ann_file/data_prefix, that the '
            'file has images and annotations, and that metainfo.classes '
            'names its categories.')
