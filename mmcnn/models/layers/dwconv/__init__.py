"""Depth-wise convolution that runs the fastest of several exact
algorithms: :mod:`.algorithms` (the algorithms), :mod:`.selection` (the
timed trial and its per-machine cache), :mod:`.conv` (the function and
the module)."""
from .algorithms import (ALGORITHMS, crop_dead_taps, fft_depthwise_conv2d,
                         fft_size, same_padding, supported_algorithms)
from .conv import (DepthwiseConv2d, conv_act, conv_act_project,
                   depthwise_conv2d)
from .selection import (algorithm_cache, cache_file, clear_algorithm_cache,
                        force_algorithm, select_algorithm, size_bucket,
                        trial_seconds)

__all__ = [
    'ALGORITHMS', 'DepthwiseConv2d', 'algorithm_cache', 'cache_file',
    'clear_algorithm_cache', 'conv_act', 'conv_act_project', 'crop_dead_taps',
    'depthwise_conv2d',
    'fft_depthwise_conv2d', 'fft_size', 'force_algorithm', 'same_padding',
    'select_algorithm', 'size_bucket', 'supported_algorithms',
    'trial_seconds'
]
