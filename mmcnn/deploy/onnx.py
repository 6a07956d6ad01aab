"""Export a model to ONNX, check the file, run it in ONNX Runtime and
compare it with PyTorch.

The export is torch's TorchScript-based exporter (``dynamo=False``) with
the substitutions of :mod:`mmcnn.deploy.rewrites` in place, run with
autograd on, so the inference-only branches of mmcnn's layers (in-place
steps, fused statistics kernels) are not traced; the graph holds standard
ONNX operators only (:func:`check_onnx` asserts it). The model should be
in its deploy form (:func:`mmcnn.analysis.switch_to_deploy`) first.
"""
import copy
import io
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from mmcnn.analysis.benchmark import time_interleaved
from .rewrites import onnx_rewrites

DEFAULT_OPSET = 17
MIN_OPSET = 13
STANDARD_DOMAINS = ('', 'ai.onnx')
INPUT_NAME = 'input'


class ExportError(RuntimeError):
    """The model cannot be exported, or its ONNX file is not valid."""


def flatten_outputs(outputs: Any) -> List[torch.Tensor]:
    """The tensors of a (nested) tuple, list or dict of outputs, in order
    (the order in which the exporter lists the graph's outputs)."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (tuple, list)):
        return [t for item in outputs for t in flatten_outputs(item)]
    raise TypeError(f'Cannot export an output of type '
                    f'{type(outputs).__name__}; return tensors, or tuples, '
                    'lists or dicts of them.')


def export_onnx(model: nn.Module,
                example: torch.Tensor,
                path: Optional[str] = None,
                dynamic: bool = True,
                opset: int = DEFAULT_OPSET,
                fp16: bool = False) -> bytes:
    """Export ``model(example)`` to ONNX and return the file's bytes
    (also written to ``path`` when given).

    Args:
        model: an eval-mode module taking one ``(N, 3, H, W)`` image batch
            and returning tensors (nested tuples, lists or dicts of them).
        example: the traced input.
        dynamic: batch, height and width of the input are symbolic; else
            the graph is fixed to ``example``'s shape.
        opset: ONNX opset, 13 or newer (17, the default, writes
            ``LayerNormalization`` as one node).
        fp16: export in float16 (weights, input and outputs); the model is
            copied, not changed.

    Raises:
        ExportError: the exporter failed; the message names the operator.
    """
    if opset < MIN_OPSET:
        raise ExportError(f'opset {opset} is too old: use --opset '
                          f'{MIN_OPSET} or newer (InternImage needs '
                          'Unflatten, written from opset 13).')
    model = model.eval()
    if fp16:
        model = copy.deepcopy(model).half()
        example = example.half()
    with torch.no_grad():
        count = len(flatten_outputs(model(example)))
    names = [f'output{i}' for i in range(count)]
    axes: Dict[str, Dict[int, str]] = {}
    if dynamic:
        axes[INPUT_NAME] = {0: 'batch', 2: 'height', 3: 'width'}
    buffer = io.BytesIO()
    try:
        with onnx_rewrites(model), torch.enable_grad():
            torch.onnx.export(
                model, (example, ), buffer, dynamo=False,
                opset_version=opset, input_names=[INPUT_NAME],
                output_names=names, dynamic_axes=axes or None,
                do_constant_folding=True)
    except Exception as err:
        reason = str(err).split('[Caused by')[0].strip().splitlines()
        reason = reason[-1] if reason else type(err).__name__
        raise ExportError(
            f'torch.onnx.export failed for {type(model).__name__}: {reason} '
            '— an '
            'operator without an ONNX form needs a rewrite in '
            'mmcnn/deploy/rewrites.py.') from err
    data = _copy_shared_initializers(buffer.getvalue())
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
    return data


def _copy_shared_initializers(data: bytes) -> bytes:
    """Replace each ``Identity`` of an initializer by a copy of it.

    The exporter stores equal constants once and feeds the other users
    through ``Identity`` nodes; ONNX Runtime 1.20's basic graph
    optimisations then drop such a node but not its users' reference to
    it, and refuse the model (seen on PoolFormer-S12 at its initial
    weights, whose folded layer scales are all equal).
    """
    model = onnx.load_from_string(data)
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    identities = [n for n in graph.node
                  if n.op_type == 'Identity' and n.input[0] in initializers]
    if not identities:
        return data
    for node in identities:
        copy_ = onnx.TensorProto()
        copy_.CopyFrom(initializers[node.input[0]])
        copy_.name = node.output[0]
        graph.initializer.append(copy_)
        graph.node.remove(node)
    return model.SerializeToString()


def check_onnx(data: Union[bytes, str]) -> List[str]:
    """Run ``onnx.checker`` (with shape inference) on a file's bytes or
    path, and assert that every node is a standard ONNX operator.

    Returns:
        The sorted operator types of the graph.

    Raises:
        ExportError: the checker failed, or a node is in a custom domain.
    """
    model = onnx.load_from_string(data) if isinstance(
        data, bytes) else onnx.load(data)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as err:
        raise ExportError(f'onnx.checker rejected the model: {err}') from err
    custom = sorted({f'{n.domain}::{n.op_type}' for n in model.graph.node
                     if n.domain not in STANDARD_DOMAINS})
    if custom:
        raise ExportError(f'The graph uses custom operators {custom}; only '
                          'standard ONNX operators are allowed.')
    return sorted({n.op_type for n in model.graph.node})


def ort_session(data: Union[bytes, str],
                threads: int = 2) -> ort.InferenceSession:
    """An ONNX Runtime CPU session on ``threads`` intra-op threads, one
    inter-op thread, all graph optimisations."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    return ort.InferenceSession(data, options,
                                providers=['CPUExecutionProvider'])


def run_ort(session: ort.InferenceSession,
            inputs: torch.Tensor) -> List[np.ndarray]:
    """The session's outputs on ``inputs`` (cast to the graph's input
    type)."""
    dtype = np.float16 if 'float16' in session.get_inputs()[0].type else (
        np.float32)
    return session.run(None, {INPUT_NAME: inputs.numpy().astype(dtype)})


def run_torch(model: nn.Module, inputs: torch.Tensor) -> List[torch.Tensor]:
    """The model's flattened outputs on ``inputs`` without autograd."""
    with torch.no_grad():
        return flatten_outputs(model(inputs))


def max_relative_difference(reference: Sequence[torch.Tensor],
                            outputs: Sequence[np.ndarray]) -> float:
    """Largest ``max|a - b| / max|b|`` over the outputs, ``b`` PyTorch's
    (in float32); infinite when a shape differs or ``a`` is not finite."""
    if len(reference) != len(outputs):
        return float('inf')
    worst = 0.
    for ref, out in zip(reference, outputs):
        ref = ref.float().numpy()
        out = np.asarray(out, dtype=np.float32)
        if ref.shape != out.shape or not np.isfinite(out).all():
            return float('inf')
        scale = max(float(np.abs(ref).max(initial=0.)), 1e-12)
        worst = max(worst, float(np.abs(out - ref).max(initial=0.)) / scale)
    return worst


@dataclass
class Comparison:
    """ORT against PyTorch on one input."""

    shape: Tuple[int, ...]
    max_rel_diff: float


def compare(model: nn.Module, session: ort.InferenceSession,
            inputs: torch.Tensor) -> Comparison:
    """Run both on ``inputs`` and compare them (no timing)."""
    error = max_relative_difference(run_torch(model, inputs.float()),
                                    run_ort(session, inputs))
    return Comparison(tuple(inputs.shape), error)


def time_both(model: nn.Module, session: ort.InferenceSession,
              inputs: torch.Tensor, threads: int = 2, rounds: int = 5,
              iters: int = 3, warmup: int = 2) -> Tuple[float, float]:
    """Median milliseconds per call of PyTorch (``torch.inference_mode``,
    ``threads`` threads) and of the session, timed round by round in turn
    (:func:`mmcnn.analysis.benchmark.time_interleaved`)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        def torch_call() -> None:
            with torch.inference_mode():
                model(inputs)

        def ort_call() -> None:
            run_ort(session, inputs)

        for _ in range(warmup):
            torch_call()
            ort_call()
        seconds = time_interleaved([torch_call, ort_call], rounds, iters)
    finally:
        torch.set_num_threads(before)
    return tuple(float(np.median(s)) * 1e3 for s in seconds)
