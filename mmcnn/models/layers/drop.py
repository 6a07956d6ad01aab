"""Stochastic depth schedules."""
from typing import List


def drop_path_rates(max_rate: float, num_blocks: int) -> List[float]:
    """Per-block drop-path rates rising linearly from 0 to ``max_rate``.

    The rule of ``torch.linspace(0, max_rate, num_blocks)``, computed with
    plain floats so that models can also be built on the ``meta`` device.
    """
    if num_blocks <= 1:
        return [0.] * num_blocks
    return [max_rate * i / (num_blocks - 1) for i in range(num_blocks)]
