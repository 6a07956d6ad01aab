"""Parameters and FLOPs of a model in the papers' convention."""
import functools
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.print_helper import complexity_stats_table
from torch import nn

from mmcnn.models.layers.sparsity import layer_densities, sparse_weights
from .handles import NO_ARITHMETIC_OPS, PAPER_FLOP_HANDLES, ZERO_BY_CONVENTION
from .shape_trace import MetaTraceMode, meta_copy


class MetaTraceError(RuntimeError):
    """A meta-device model that cannot be traced shape-only."""


def paper_flop_analyzer(model: nn.Module, inputs: Tuple[torch.Tensor,
                                                        ...]) -> FlopAnalyzer:
    """mmengine's FlopAnalyzer with the handles of :mod:`.handles`."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle(**PAPER_FLOP_HANDLES)
    analyzer.set_op_handle(**dict.fromkeys(NO_ARITHMETIC_OPS))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    return analyzer


@dataclass
class ComplexityReport:
    """What :func:`analyze` measured.

    Attributes:
        params: number of parameter elements (trainable or not).
        flops: multiply-adds (one multiply-add = one FLOP) of the counted
            ops, plus the convention's extras (conv bias, pooling, ...).
        flops_by_operator: ``flops`` split by the handles' op names.
        not_counted: ops found in the trace that are zero by convention
            (elementwise arithmetic, activations) with their call counts.
        unhandled: ops found that no handle knows, counted as zero.
        input_shape: the traced input's shape, ``(N, C, H, W)``.
        traced_on: ``'meta'`` (shapes only, no compute) or ``'cpu'``.
        fallback_reason: why tracing on the meta device failed, if it did.
        density: with ``weight_density``, the overall fraction of non-zero
            entries in the sparse weights (``params`` and ``flops`` then
            count non-zero weights only); ``None`` for a dense count.
        only_ops: with ``only_ops``, the operators ``flops`` is restricted
            to; ``None`` when every counted operator is included.
    """

    params: int
    flops: int
    flops_by_operator: Dict[str, int]
    not_counted: Dict[str, int]
    unhandled: Dict[str, int]
    input_shape: Tuple[int, ...]
    traced_on: str
    fallback_reason: Optional[str] = None
    density: Optional[float] = None
    only_ops: Optional[Tuple[str, ...]] = None
    analyzer: FlopAnalyzer = field(default=None, repr=False)

    def table(self, max_depth: int) -> str:
        """Per-module parameters and FLOPs down to ``max_depth``."""
        return complexity_stats_table(
            self.analyzer, max_depth=max_depth, show_param_shapes=False)

    def summary(self) -> str:
        """The figures and what was left out, as printed by get_flops."""
        ops = ', '.join(
            f'{name} {format_count(count)}' for name, count in sorted(
                self.flops_by_operator.items(), key=lambda item: -item[1]))
        lines = [
            f'Input shape: {tuple(self.input_shape)} (N, C, H, W)',
            f'Params: {format_count(self.params, "M")} ({self.params:,})',
            f'FLOPs:  {format_count(self.flops, "G")} ({self.flops:,}; '
            'one multiply-add = one FLOP)',
            f'FLOPs by operator: {ops or "none"}',
            'Not counted, zero by convention (elementwise arithmetic and '
            f'activations): {_format_ops(self.not_counted)}',
            'Skipped, no FLOP handle (counted as 0): '
            f'{_format_ops(self.unhandled)}',
        ]
        if self.only_ops is not None:
            lines.append('Restricted to the operators '
                         f'{", ".join(self.only_ops)}.')
        if self.density is not None:
            lines.append(
                'Sparse count: non-zero weights only, overall density '
                f'{self.density:.4f} of the 2-D/4-D weights; each conv and '
                'linear layer costs its non-zero weights per output position.')
        if self.traced_on == 'meta':
            lines.append('Traced shape-only on the meta device.')
        elif self.fallback_reason:
            lines.append('Traced with a real forward pass on the CPU '
                         f'(shape-only tracing failed: {self.fallback_reason})'
                         '.')
        else:
            lines.append('Traced with a real forward pass on the CPU.')
        return '\n'.join(lines)


def format_count(count: float, unit: Optional[str] = None) -> str:
    """``4965000000 -> '4.965G'``; ``unit`` forces 'K', 'M' or 'G'."""
    scales = {'G': 1e9, 'M': 1e6, 'K': 1e3}
    if unit is None:
        unit = next((u for u, s in scales.items() if abs(count) >= s), '')
    if not unit:
        return str(int(count))
    return f'{count / scales[unit]:.3f}{unit}'


def _format_ops(ops: Dict[str, int]) -> str:
    if not ops:
        return 'none'
    return ', '.join(f'{name} x{count}' for name, count in sorted(
        ops.items(), key=lambda item: (-item[1], item[0])))


def _count(model: nn.Module, inputs: Tuple[torch.Tensor, ...],
           forward: Optional[Callable[...,
                                      Any]], on_meta: bool) -> FlopAnalyzer:
    if forward is not None:
        model.forward = functools.partial(forward, model)
    analyzer = paper_flop_analyzer(model, inputs)
    try:
        with torch.no_grad():
            if on_meta:
                with MetaTraceMode():
                    analyzer.total()
            else:
                analyzer.total()
    finally:
        if forward is not None:
            del model.forward
    return analyzer


def analyze(model: nn.Module,
            inputs: Sequence[torch.Tensor],
            forward: Optional[Callable[..., Any]] = None,
            shape_only: bool = True,
            weight_density: Optional[Dict[str, float]] = None,
            only_ops: Optional[Sequence[str]] = None) -> ComplexityReport:
    """Count the parameters and FLOPs of ``model(*inputs)``, or of
    ``forward(model, *inputs)`` when a forward function is given.

    The forward pass is JIT-traced by mmengine's FlopAnalyzer with the
    handles of :data:`.handles.PAPER_FLOP_HANDLES`. With ``shape_only`` the
    trace runs on a meta-device copy of the model (no compute, no memory);
    when the forward needs real values or an op has no meta kernel, it is
    traced again on the CPU with ``inputs``. The model is counted in eval
    mode (inference, as published) and is otherwise not modified.
    """
    inputs = tuple(inputs)
    fallback_reason = None
    analyzer = None
    was_training = model.training
    model.eval()
    try:
        if shape_only:
            try:
                analyzer = _count(
                    meta_copy(model),
                    tuple(x.to('meta') for x in inputs),
                    forward,
                    on_meta=True)
            except Exception as err:  # any op may lack a meta kernel
                message = str(err).strip().splitlines() or ['']
                fallback_reason = textwrap.shorten(
                    f'{type(err).__name__}: {message[0]}', 200,
                    placeholder=' ...')
        if analyzer is None:
            if any(p.is_meta for p in model.parameters()):
                raise MetaTraceError(
                    'A model built on the meta device must be traced shape-'
                    f'only, which failed ({fallback_reason}); build it on '
                    'the CPU.')
            analyzer = _count(model, inputs, forward, on_meta=False)
    finally:
        model.train(was_training)
    skipped = Counter(analyzer.unsupported_ops())
    params = parameter_count(model)['']
    flops_by_operator = Counter({
        k: int(v)
        for k, v in analyzer.by_operator().items() if v
    })
    density = None
    if weight_density is not None:
        params, density = _sparse_params(model, weight_density)
        flops_by_operator.subtract(
            _pruned_flops(analyzer.by_module_and_operator(), weight_density))
    if only_ops is not None:
        only_ops = tuple(only_ops)
        flops_by_operator = Counter({
            k: v
            for k, v in flops_by_operator.items() if k in only_ops
        })
    return ComplexityReport(
        params=params,
        flops=sum(flops_by_operator.values()),
        flops_by_operator={
            k: v
            for k, v in flops_by_operator.items() if v
        },
        not_counted={
            k: v
            for k, v in skipped.items() if k in ZERO_BY_CONVENTION
        },
        unhandled={
            k: v
            for k, v in skipped.items() if k not in ZERO_BY_CONVENTION
        },
        input_shape=tuple(inputs[0].shape),
        traced_on='meta' if fallback_reason is None and shape_only else 'cpu',
        fallback_reason=fallback_reason,
        density=density,
        only_ops=only_ops,
        analyzer=analyzer)


# The ops whose cost is one multiply-add per weight entry and position.
_WEIGHT_OPS = ('conv', 'linear')


def _sparse_params(model: nn.Module,
                   weight_density: Dict[str, float]) -> Tuple[int, float]:
    """Non-zero parameter count and the overall density of the weights."""
    params = dict(model.named_parameters())
    total = sum(p.numel() for p in params.values())
    sparse = sum(params[name].numel() for name in weight_density)
    kept = sum(
        round(d * params[name].numel()) for name, d in weight_density.items())
    return total - sparse + kept, kept / max(1, sparse)


def _pruned_flops(by_module: Dict[str, Dict[str, int]],
                  weight_density: Dict[str, float]) -> Counter:
    """Multiply-adds of the zero weights, by operator."""
    pruned = Counter()
    for name, density in weight_density.items():
        module = name.rpartition('.')[0]
        for op in _WEIGHT_OPS:
            pruned[op] += round(
                by_module.get(module, {}).get(op, 0) * (1. - density))
    return pruned


def weight_densities(model: nn.Module,
                     sparsity: Optional[float] = None,
                     layout: str = 'uniform') -> Dict[str, float]:
    """The density of every 2-D/4-D weight (convs and linear layers), the
    weights :class:`~mmcnn.engine.hooks.DynamicSparsityHook` sparsifies.

    With ``sparsity`` the densities of a freshly sparsified model: the same
    ``1 - sparsity`` for every weight (``layout='uniform'``) or spread by
    the Erdos-Renyi-kernel rule (``'erk'``); the rules are
    :mod:`mmcnn.models.layers.sparsity`'s. Shapes suffice, so this works on
    the meta device. Without it, the measured fraction of non-zero entries
    of each weight of a trained sparse model.
    """
    weights = sparse_weights(model)
    if sparsity is None:
        return {
            name: float((p != 0).float().mean())
            for name, p in weights.items()
        }
    if not 0. <= sparsity < 1.:
        raise ValueError(f'sparsity must be in [0, 1), got {sparsity}.')
    shapes = {name: p.shape for name, p in weights.items()}
    return layer_densities(shapes, 1. - sparsity, layout)
