"""Name the file and the problem when an image cannot be decoded.

mmcv's ``LoadImageFromFile`` (which mmdet, mmseg, mmpretrain and mmpose's
``LoadImage`` all run) passes the file's bytes to the decoder, and OpenCV
answers an empty file with ``!buf.empty() in function 'imdecode_'`` and a
header larger than its pixel limit with ``pixels <= CV_IO_MAX_IMAGE_PIXELS``,
neither naming the file. :func:`explain_image_load_errors` wraps the
transform so that a decoding failure raises :class:`UnreadableImageError`
with the path and the reason (empty file, declared size over OpenCV's
limit, or undecodable bytes). Files that cannot be fetched keep the
backend's own error (which names the path), and ``ignore_empty=True``
still skips unreadable files.
"""
import functools
import os
from typing import Callable, Optional, Tuple

from mmengine import fileio

_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


class UnreadableImageError(ValueError):
    """An image file exists but cannot be decoded."""


def opencv_pixel_limit() -> int:
    """OpenCV's largest decodable image in pixels
    (``OPENCV_IO_MAX_IMAGE_PIXELS``, default ``2 ** 30``)."""
    value = os.environ.get('OPENCV_IO_MAX_IMAGE_PIXELS', '')
    return int(value) if value.isdigit() else 1 << 30


def declared_size(data: bytes) -> Optional[Tuple[str, int, int]]:
    """``(format, width, height)`` from a JPEG or PNG header, else None."""
    if data.startswith(_PNG_MAGIC) and len(data) >= 24:
        return ('PNG', int.from_bytes(data[16:20], 'big'),
                int.from_bytes(data[20:24], 'big'))
    if not data.startswith(b'\xff\xd8'):
        return None
    pos = 2
    while pos + 9 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
        elif marker in _JPEG_SOF:
            return ('JPEG', int.from_bytes(data[pos + 7:pos + 9], 'big'),
                    int.from_bytes(data[pos + 5:pos + 7], 'big'))
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
        else:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')
    return None


def image_problem(data: bytes) -> str:
    """Why ``data`` (bytes the decoder rejected) is not a usable image."""
    if not data:
        return 'the file is empty (0 bytes)'
    size = declared_size(data)
    limit = opencv_pixel_limit()
    if size is not None and size[1] * size[2] > limit:
        kind, width, height = size
        return (f'its {kind} header declares {width}x{height} pixels, more '
                f'than OpenCV decodes ({limit} pixels); resize the image, or '
                'raise the limit with the environment variable '
                'OPENCV_IO_MAX_IMAGE_PIXELS')
    return (f'its {len(data)} bytes cannot be decoded as an image: the file '
            'is corrupt, truncated or not in an image format the decoder '
            'reads')


def _fetch(filename: Optional[str],
           backend_args: Optional[dict]) -> Optional[bytes]:
    """The file's bytes, or None when it cannot be fetched."""
    if filename is None:
        return None
    try:
        return fileio.get(filename, backend_args=backend_args)
    except Exception:
        return None


def _explained(transform: Callable) -> Callable:
    """``transform`` raising :class:`UnreadableImageError` for files that
    can be fetched but not decoded."""

    @functools.wraps(transform)
    def wrapper(self, results: dict) -> Optional[dict]:
        try:
            return transform(self, results)
        except Exception as err:
            filename = results.get('img_path')
            data = _fetch(filename, getattr(self, 'backend_args', None))
            if data is None:
                raise
            raise UnreadableImageError(
                f'Cannot load image {filename!r}: {image_problem(data)}.'
            ) from err

    wrapper.explains_image_errors = True
    return wrapper


def explain_image_load_errors() -> None:
    """Make mmcv's ``LoadImageFromFile`` name the file and the problem when
    an image cannot be decoded (idempotent)."""
    from mmcv.transforms import LoadImageFromFile
    if not getattr(LoadImageFromFile.transform, 'explains_image_errors',
                   False):
        LoadImageFromFile.transform = _explained(LoadImageFromFile.transform)
