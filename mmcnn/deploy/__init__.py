"""Deployment: export to ONNX with standard operators only, run in ONNX
Runtime and compare with PyTorch (:mod:`.onnx`); the export-time
substitutions (:mod:`.rewrites`), what each task exports
(:mod:`.models`) and two-stage detectors as a graph per network
(:mod:`.two_stage`)."""
from .models import (EXPORTS, build_for_export, detections_from_outputs,
                     export_module, image_input, task_agreement)
from .onnx import (DEFAULT_OPSET, MIN_OPSET, Comparison, ExportError,
                   check_onnx, compare, export_onnx, flatten_outputs,
                   max_relative_difference, ort_session, run_ort, run_torch,
                   time_both)
from .rewrites import onnx_rewrites
from .two_stage import (TwoStageDetectorExport, detection_agreement,
                        graph_path, match_detections, torch_detections,
                        two_stage_detections)

__all__ = [
    'EXPORTS', 'build_for_export', 'detections_from_outputs',
    'export_module', 'image_input', 'task_agreement', 'DEFAULT_OPSET',
    'MIN_OPSET', 'Comparison', 'ExportError', 'check_onnx', 'compare',
    'export_onnx', 'flatten_outputs', 'max_relative_difference',
    'ort_session', 'run_ort', 'run_torch', 'time_both', 'onnx_rewrites',
    'TwoStageDetectorExport', 'detection_agreement', 'graph_path',
    'match_detections', 'torch_detections', 'two_stage_detections'
]
