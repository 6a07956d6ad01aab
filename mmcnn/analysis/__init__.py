"""Parameter and FLOP counting in the convention of the ConvNet papers."""
from .builders import (DEFAULT_SIZES, BackboneClassifier, backbone_families,
                       build_backbone_model, build_task_model,
                       config_input_size, config_task, image_batch,
                       resolve_backbone, task_inputs)
from .complexity import (ComplexityReport, analyze, format_count,
                         paper_flop_analyzer)

__all__ = [
    'DEFAULT_SIZES', 'BackboneClassifier', 'ComplexityReport', 'analyze',
    'backbone_families', 'build_backbone_model', 'build_task_model',
    'config_input_size', 'config_task', 'format_count', 'image_batch',
    'paper_flop_analyzer', 'resolve_backbone', 'task_inputs'
]
