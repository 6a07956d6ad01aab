"""Parameter and FLOP counting in the convention of the ConvNet papers."""
from .builders import (CLASSIFIER_HEADS, DEFAULT_SIZES, BackboneClassifier,
                       backbone_families, build_backbone_model,
                       build_task_model, config_input_size, config_task,
                       image_batch, resolve_backbone, task_inputs)
from .complexity import (ComplexityReport, MetaTraceError, analyze,
                         format_count, paper_flop_analyzer, weight_densities)

__all__ = [
    'DEFAULT_SIZES', 'BackboneClassifier', 'ComplexityReport', 'analyze',
    'backbone_families', 'build_backbone_model', 'build_task_model',
    'config_input_size', 'config_task', 'format_count', 'image_batch',
    'paper_flop_analyzer', 'resolve_backbone', 'task_inputs',
    'weight_densities', 'CLASSIFIER_HEADS', 'MetaTraceError'
]
