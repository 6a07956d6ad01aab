"""The stack's repeated, uninformative messages are gone from mmcnn runs;
other messages pass unchanged."""
import logging
import os.path as osp
import subprocess
import sys

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

import mmcnn  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_config_with_package_bases_warns_nothing_about_pkg_resources():
    code = ('import mmcnn; from mmengine.config import Config; '
            "Config.fromfile('configs/det/moganet/"
            "mask-rcnn_moganet-t_fpn_1x_coco.py')")
    proc = subprocess.run([sys.executable, '-W', 'default', '-c', code],
                          cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'pkg_resources' not in proc.stderr


class _Recorder(logging.Handler):
    """Collects the messages that pass a logger's filters."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.logger = MMLogger.get_instance(name)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> list:
        self.logger.addHandler(self)
        return self.messages

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)


def test_per_parameter_option_lines_are_dropped():
    with _Recorder('log_noise_options') as records:
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        constructor = DefaultOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4)),
            dict(norm_decay_mult=0., custom_keys={'0.': dict(lr_mult=0.5)}))
        wrapper = constructor(model)
        print_log('a line that stays', logger='current')
    groups = wrapper.optimizer.param_groups
    assert [g['lr'] for g in groups] == [0.05, 0.05, 0.1, 0.1]
    assert not [r for r in records if r.startswith('paramwise_options')]
    assert 'a line that stays' in records


def test_cpu_run_names_processes_not_gpus():
    with _Recorder('log_noise_env') as records:
        print_log('\nRuntime environment:\n    GPU number: 2\n',
                  logger='current')
    expected = 'GPU number: 2' if torch.cuda.is_available() else \
        'Processes: 2'
    assert expected in records[-1]


def test_a_long_fallback_reason_is_shortened_at_a_word():
    from mmcnn.analysis.complexity import analyze

    class NoMetaKernel(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.is_meta:
                raise NotImplementedError(' '.join(['elements'] * 60))
            return self.conv(x)

    model = NoMetaKernel()
    model.conv = nn.Conv2d(3, 4, 1)
    report = analyze(model, (torch.randn(1, 3, 8, 8), ))
    reason = report.fallback_reason
    assert reason.startswith('NotImplementedError: elements')
    assert reason.endswith(' ...') and len(reason) <= 200
    assert all(word == 'elements' for word in reason.split()[1:-1])
