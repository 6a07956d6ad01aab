"""Silence the stack's messages that repeat on every run and say nothing
to an mmcnn user, so that warnings that matter stand out.

* ``pkg_resources is deprecated as an API``: mmengine's ``is_installed``
  imports and reloads ``pkg_resources`` for every ``pkg::`` config base,
  which repeats setuptools' deprecation warning once per base.
* ``Grad strides do not match bucket view strides``: DDP's notice, on
  every rank, that a gradient's memory layout differs from its
  parameter's; mmcnn runs depth-wise and point-wise convolutions
  channels-last on CPUs, so the weight gradients of NCHW parameters come
  back channels-last by design (DDP copies them into its buckets).
* ``paramwise_options -- name:key=value``: mmengine's optimizer
  constructor logs one line per parameter option (hundreds per detector);
  the config's ``paramwise_cfg`` already states them.
* ``GPU number: N`` in the runtime environment of a CPU-only run is the
  number of processes: it is logged as ``Processes: N`` there.
"""
import logging
import warnings

_WARNINGS = ('pkg_resources is deprecated as an API',
             'Grad strides do not match bucket view strides')
_DROPPED_PREFIXES = ('paramwise_options -- ', )


class _StackNoiseFilter(logging.Filter):
    """Drops per-parameter option lines; names processes on CPU runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if not isinstance(message, str):
            return True
        if message.startswith(_DROPPED_PREFIXES):
            return False
        if '\n    GPU number: ' in message:
            import torch
            if not torch.cuda.is_available():
                record.msg = message.replace('\n    GPU number: ',
                                             '\n    Processes: ')
        return True


_FILTER = _StackNoiseFilter()


def quiet_stack_noise() -> None:
    """Install the warning filters and attach the log filter to every
    MMLogger created from now on (and to the current one)."""
    for message in _WARNINGS:
        warnings.filterwarnings('ignore', message=message)
    from mmengine.logging import MMLogger
    if getattr(MMLogger.__init__, '_mmcnn_quiet', False):
        return
    original = MMLogger.__init__

    def __init__(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        self.addFilter(_FILTER)

    __init__._mmcnn_quiet = True
    MMLogger.__init__ = __init__
    for logger in MMLogger._instance_dict.values():
        logger.addFilter(_FILTER)
