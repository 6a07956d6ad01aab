"""Parameter and FLOP counting in the convention of the ConvNet papers,
the models to count, and speed and memory measurements."""
from .benchmark import (CLOCKS, count_macs, peak_memory_mib, report_table,
                        synchronize, time_interleaved)
from .builders import (DEFAULT_SIZES, BackboneClassifier, backbone_families,
                       build_backbone, build_backbone_model,
                       build_task_model, config_input_size, config_task,
                       find_backbones, image_batch, resolve_backbone,
                       switch_to_deploy, task_inputs)
from .complexity import (ComplexityReport, MetaTraceError, analyze,
                         format_count, paper_flop_analyzer, weight_densities)
from .handles import DCNV3_FLOP_HANDLES

__all__ = [
    'DEFAULT_SIZES', 'BackboneClassifier', 'ComplexityReport', 'analyze',
    'backbone_families', 'build_backbone', 'build_backbone_model',
    'build_task_model', 'config_input_size', 'config_task', 'find_backbones',
    'format_count', 'image_batch', 'paper_flop_analyzer', 'resolve_backbone',
    'switch_to_deploy', 'task_inputs', 'weight_densities', 'MetaTraceError',
    'CLOCKS', 'count_macs', 'peak_memory_mib', 'report_table', 'synchronize',
    'time_interleaved', 'DCNV3_FLOP_HANDLES'
]
