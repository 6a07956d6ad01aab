"""mmcnn.utils.keep_freed_memory: glibc accepts every mallopt setting."""
import platform

import pytest

from mmcnn.utils import keep_freed_memory
from mmcnn.utils.allocator import ALLOCATOR_SETTINGS


@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc',
                    reason='mallopt is a glibc interface')
def test_glibc_accepts_every_setting():
    assert len(ALLOCATOR_SETTINGS) == 3
    assert keep_freed_memory() is True
