"""The official ImageNet checkpoints that mmcnn's configs start from.

:data:`RELEASES` is the one source of truth for them: each entry names a
backbone and arch, the authors' file, the direct download URL when the
official repository gives one (GitHub releases, the authors' Hugging Face
``resolve/main`` links, FAIR's download server) and the page that lists it.
Every config's ``model.backbone.init_cfg.checkpoint`` is the entry's
:attr:`Release.checkpoint`: the URL, downloaded on first use into
``<torch hub dir>/checkpoints``, or, for a release published only behind a
browser (a Google Drive, Tsinghua Cloud or Hugging Face hub page), the local
path ``checkpoints/<file>`` the user places the file at.
``tools/misc/gen_model_zoo.py`` writes the metafiles' weights entries and
the pretrained-weights table of ``docs/model_zoo.md`` from it, and the
not-found / download-failed errors of :mod:`mmcnn.utils.checkpoint` name
the entry's page.

This module imports nothing from mmcnn, torch or mmengine.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import urlparse

LOCAL_DIR = 'checkpoints'
"""Where configs expect the releases that have no direct download URL."""

SCRATCH_OVERRIDE = '--cfg-options model.backbone.init_cfg=None'
"""The command-line override that trains a config's backbone from scratch."""

LAYOUTS: Dict[str, str] = {
    'timm': "timm training checkpoint: 'state_dict', 'state_dict_ema', "
    "argparse 'args'",
    'fair': "FAIR ConvNeXt codebase: 'model' (and 'model_ema' when saved)",
    'swin': "Swin Transformer codebase: 'model', training state and a "
    "pickled yacs 'config'",
    'bare': 'a bare state dict (parameter name -> tensor)',
}
"""The release layouts, by the codebase that wrote the file."""


@dataclass(frozen=True)
class Release:
    """One official ImageNet checkpoint.

    Attributes:
        backbone: mmcnn's registry name of the family (``MogaNet``).
        arch: the ``arch_zoo`` name the configs use (``tiny``).
        file_name: the official file name.
        page: where the authors list the file (a README, or the drive /
            hub page its README links to).
        source: the official file the URL (or page) was read from.
        layout: a key of :data:`LAYOUTS`.
        url: the direct download URL, None when there is none.
        variant: ``in1k``, the supervised ImageNet-1k checkpoint the
            dense-prediction configs start from (the default); ``in1k-ema``,
            a separate file of its EMA weights where the authors report the
            classifier's accuracy on it; or another training stage
            (``fcmae``: self-supervised pre-training only).
    """

    backbone: str
    arch: str
    file_name: str
    page: str
    source: str
    layout: str
    url: Optional[str] = None
    variant: str = 'in1k'

    @property
    def local_path(self) -> str:
        """Where a config expects the file when there is no URL."""
        return f'{LOCAL_DIR}/{self.file_name}'

    @property
    def checkpoint(self) -> str:
        """The ``init_cfg.checkpoint`` of every config using this release."""
        return self.url or self.local_path

    @property
    def label(self) -> str:
        """A short human-readable name, e.g. ``MogaNet tiny (in1k)``."""
        return f'{self.backbone} {self.arch} ({self.variant})'


def _github(repo: str, tag: str, name: str) -> str:
    return f'https://github.com/{repo}/releases/download/{tag}/{name}'


def _github_release(backbone: str, arch: str, name: str, repo: str, tag: str,
                    layout: str) -> Release:
    """File ``name`` of release ``tag`` of GitHub's ``repo``, named in
    the repository's README."""
    return Release(backbone, arch, name, f'https://github.com/{repo}',
                   f'{repo} README.md', layout, _github(repo, tag, name))


CONVNEXT = 'https://github.com/facebookresearch/ConvNeXt'
CONVNEXT_V2 = 'https://github.com/facebookresearch/ConvNeXt-V2'
INTERNIMAGE = 'https://github.com/OpenGVLab/InternImage'
METAFORMER = 'https://github.com/sail-sg/metaformer'
VAN_REPO = 'https://github.com/Visual-Attention-Network/VAN-Classification'
VAN_HUB = 'https://huggingface.co/Visual-Attention-Network'
FAIR = 'https://dl.fbaipublicfiles.com/convnext'


def _moganet(arch: str, name: str) -> Release:
    return _github_release('MogaNet', arch, name, 'Westlake-AI/MogaNet',
                           'moganet-in1k-weights', 'timm')


def _convnext(arch: str) -> Release:
    name = f'convnext_{arch}_1k_224.pth'
    return Release(
        'ConvNeXt', arch, name, f'{CONVNEXT}/tree/main/object_detection',
        'facebookresearch/ConvNeXt object_detection/README.md and '
        'semantic_segmentation/README.md', 'fair', f'{FAIR}/{name}')


def _convnext_ema(arch: str) -> Release:
    name = f'convnext_{arch}_1k_224_ema.pth'
    return Release('ConvNeXt', arch, name, CONVNEXT,
                   'facebookresearch/ConvNeXt README.md', 'fair',
                   f'{FAIR}/{name}', variant='in1k-ema')


def _inceptionnext(arch: str) -> Release:
    return _github_release('InceptionNeXt', arch, f'inceptionnext_{arch}.pth',
                           'sail-sg/inceptionnext', 'model', 'bare')


def _internimage(arch: str) -> Release:
    name = f'internimage_{arch[0]}_1k_224.pth'
    return Release(
        'InternImage', arch, name, INTERNIMAGE,
        'OpenGVLab/InternImage README.md', 'swin',
        f'https://huggingface.co/OpenGVLab/InternImage/resolve/main/{name}')


def _van(arch: str, hub: str, name: str) -> Release:
    return Release(
        'VAN', arch, name, f'{VAN_HUB}/{hub}',
        'Visual-Attention-Network/VAN-Classification models/van.py (the '
        'README links the hub page)', 'timm',
        f'{VAN_HUB}/{hub}/resolve/main/{name}')


def _focalnet(arch: str) -> Release:
    name = f'focalnet_{arch.replace("-", "_")}.pth'
    return _github_release('FocalNet', arch, name, 'microsoft/FocalNet',
                           'v1.0.0', 'swin')


def _poolformer(arch: str) -> Release:
    return _github_release('PoolFormer', arch, f'poolformer_{arch}.pth.tar',
                           'sail-sg/poolformer', 'v1.0', 'bare')


RELEASES: Tuple[Release, ...] = (
    _moganet('xtiny', 'moganet_xtiny_sz224_8xbs128_ep300.pth.tar'),
    _moganet('tiny', 'moganet_tiny_sz224_8xbs128_ep300.pth.tar'),
    _moganet('small', 'moganet_small_sz224_8xbs128_ep300.pth.tar'),
    _moganet('base', 'moganet_base_sz224_8xbs128_ep300.pth.tar'),
    _moganet('large', 'moganet_large_sz224_8xbs64_ep300.pth.tar'),
    _moganet('xlarge', 'moganet_xlarge_sz224_8xbs64_ep300.pth.tar'),
    _convnext('tiny'),
    _convnext('small'),
    _convnext('base'),
    _convnext_ema('tiny'),
    _convnext_ema('small'),
    _convnext_ema('base'),
    Release('ConvNeXtV2', 'tiny', 'convnextv2_tiny_1k_224_ema.pt',
            CONVNEXT_V2, 'facebookresearch/ConvNeXt-V2 README.md', 'fair',
            f'{FAIR}/convnextv2/im1k/convnextv2_tiny_1k_224_ema.pt'),
    Release('ConvNeXtV2', 'tiny', 'convnextv2_tiny_1k_224_fcmae.pt',
            CONVNEXT_V2, 'facebookresearch/ConvNeXt-V2 README.md', 'fair',
            f'{FAIR}/convnextv2/pt_only/convnextv2_tiny_1k_224_fcmae.pt',
            variant='fcmae'),
    Release('RepLKNet', '31b', 'RepLKNet-31B_ImageNet-1K_224.pth',
            'https://drive.google.com/file/d/'
            '1azQUiCxK9feYVkkrPqwVPBtNsTzDrX7S/view?usp=sharing',
            'DingXiaoH/RepLKNet-pytorch README.md (Google Drive or Baidu '
            'only)', 'fair'),
    Release('SLaK', 'tiny', 'SLaK_tiny_checkpoint.pth',
            'https://drive.google.com/file/d/'
            '1Iut2f5FMS_77jGPYoUJDQzDIXOsax1u4/view?usp=sharing',
            'VITA-Group/SLaK README.md (Google Drive only)', 'fair'),
    Release('SLaK', 'small', 'SLaK_small_checkpoint.pth',
            'https://drive.google.com/file/d/'
            '1etM6KQbnlsgDAZ37adsQJ3UI8Bbv2AVe/view?usp=sharing',
            'VITA-Group/SLaK README.md (Google Drive only)', 'fair'),
    _inceptionnext('tiny'),
    _inceptionnext('small'),
    _inceptionnext('base'),
    Release('UniRepLKNet', 'tiny', 'unireplknet_t_in1k_224_acc83.21.pth',
            'https://huggingface.co/DingXiaoH/UniRepLKNet/tree/main',
            'AILab-CVC/UniRepLKNet unireplknet.py (hf_hub_download from '
            'DingXiaoH/UniRepLKNet, the hub page of its README)', 'bare',
            'https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/'
            'unireplknet_t_in1k_224_acc83.21.pth'),
    Release('UniRepLKNet', 'small', 'unireplknet_s_in1k_224_acc83.91.pth',
            'https://huggingface.co/DingXiaoH/UniRepLKNet/tree/main',
            'AILab-CVC/UniRepLKNet unireplknet.py (hf_hub_download from '
            'DingXiaoH/UniRepLKNet, the hub page of its README)', 'bare',
            'https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/'
            'unireplknet_s_in1k_224_acc83.91.pth'),
    _internimage('tiny'),
    _internimage('small'),
    _van('b0', 'VAN-Tiny-original', 'van_tiny_754.pth.tar'),
    _van('b1', 'VAN-Small-original', 'van_small_811.pth.tar'),
    _van('b2', 'VAN-Base-original', 'van_base_828.pth.tar'),
    _van('b3', 'VAN-Large-original', 'van_large_839.pth.tar'),
    Release('HorNet', 'tiny', 'hornet_tiny_7x7.pth',
            'https://cloud.tsinghua.edu.cn/f/bac9690c72944d19aca1/?dl=1',
            'raoyongming/HorNet README.md (Tsinghua Cloud only)', 'fair'),
    Release('HorNet', 'small', 'hornet_small_7x7.pth',
            'https://cloud.tsinghua.edu.cn/f/8ef64277da0e469ea857/?dl=1',
            'raoyongming/HorNet README.md (Tsinghua Cloud only)', 'fair'),
    _focalnet('tiny-srf'),
    _focalnet('tiny-lrf'),
    _focalnet('small-srf'),
    _focalnet('small-lrf'),
    _poolformer('s12'),
    _poolformer('s24'),
    _poolformer('s36'),
    Release('ConvFormer', 's18', 'convformer_s18.pth', METAFORMER,
            'sail-sg/metaformer README.md', 'bare',
            'https://huggingface.co/sail/dl/resolve/main/convformer/'
            'convformer_s18.pth'),
)


CLASSIFIER_VARIANTS = ('in1k-ema', 'in1k')
"""The variants whose accuracy a classification config reports, in order of
preference: its metafile's ``Weights``."""


def _registry_name(backbone: str) -> str:
    """``mmcnn.MogaNet`` -> ``MogaNet``."""
    return backbone.rpartition('.')[2]


def release_for(backbone: str, arch: str,
                variant: str = 'in1k') -> Optional[Release]:
    """The release of a backbone (``MogaNet`` or ``mmcnn.MogaNet``) and
    arch name, or None when the authors publish none."""
    name = _registry_name(backbone)
    for release in RELEASES:
        if (release.backbone, release.arch, release.variant) == (name, arch,
                                                                variant):
            return release
    return None


def classifier_release(backbone: str, arch: str) -> Optional[Release]:
    """The release whose ImageNet accuracy the authors report for a
    backbone's classifier (see :data:`CLASSIFIER_VARIANTS`)."""
    for variant in CLASSIFIER_VARIANTS:
        release = release_for(backbone, arch, variant)
        if release is not None:
            return release
    return None


def _file_name(checkpoint: str) -> str:
    """The file name of a local path or URL (query string dropped)."""
    path = urlparse(checkpoint).path if '://' in checkpoint else checkpoint
    return osp.basename(path)


def find_release(checkpoint: str) -> Optional[Release]:
    """The release a checkpoint path or URL names: the same URL or local
    path, a page of that release alone, else the same official file name
    (a mirror, a renamed folder)."""
    for release in RELEASES:
        if checkpoint in (release.url, release.local_path):
            return release
    on_page = [r for r in RELEASES if r.page == checkpoint]
    if len(on_page) == 1:
        return on_page[0]
    name = _file_name(checkpoint)
    for release in RELEASES:
        if name == release.file_name:
            return release
    return None


def _scratch_hint(release: Optional[Release]) -> str:
    """How to train from scratch instead of loading the checkpoint."""
    if release is None:
        return ('If it is a backbone\'s init_cfg checkpoint, '
                f'{SCRATCH_OVERRIDE} trains the backbone from scratch '
                'instead.')
    return f'To train the backbone from scratch instead: {SCRATCH_OVERRIDE}.'


def missing_file_advice(path: str, tried: str) -> str:
    """What to do about a checkpoint ``path`` that is not at ``tried``
    (its absolute path)."""
    release = find_release(path)
    if release is None:
        advice = ('Check the path given in init_cfg / load_from / --resume / '
                  'the command line.')
    elif release.url is None:
        advice = (f'It is the official {release.label} checkpoint, which its '
                  'authors publish without a direct download link: download '
                  f'it from {release.page} and place it at {tried}.')
    else:
        advice = (f'It is the official {release.label} checkpoint, published '
                  f'at {release.url}: give that URL as init_cfg.checkpoint '
                  '(it is downloaded on first use) or download the file to '
                  f'{tried}.')
    return f'{advice} {_scratch_hint(release)}'


def download_failed_advice(url: str, cached: str) -> str:
    """What to do when ``url`` could not be downloaded to ``cached``."""
    release = find_release(url)
    where = f' (release page: {release.page})' if release else ''
    return (f'Check the URL and the network, or download the file '
            f'elsewhere{where} and place it at {cached}: a file there is '
            'used without downloading. '
            f'{_scratch_hint(release)}')


def share_page_advice(url: str) -> str:
    """What to do about a ``url`` that names no file (a share page)."""
    release = find_release(url)
    if release is None:
        advice = 'Download the file in a browser and give its local path.'
    else:
        advice = (f'It is the page of the official {release.label} '
                  'checkpoint: download the file there and give its local '
                  f'path, e.g. {release.local_path} (what the configs '
                  'use).')
    return f'{advice} {_scratch_hint(release)}'
