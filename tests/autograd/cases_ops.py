"""Parity cases for every differentiable op of API.md, with broadcast and 0-d shapes.

Each case is ``(name, fn(lib, *tensors), inputs)``: ``lib`` is torch or tinyoptim (see
``tests/parity.py``). Shapes stay tiny because gradcheck costs two forward passes per
input element. Inputs avoid the points where an op has no derivative: no zeros for
``abs``/``relu``, no ties for ``max``/``maximum``, positive values for ``log``/``sqrt``.
Run ``python tests/golden/make_golden.py cases_ops`` after changing this file.
"""

from __future__ import annotations

import numpy as np

from tests.parity import make_cases

_rng = np.random.default_rng(20131)


def _pos(*shape):
    """Positive values in [0.5, 2): a safe domain for log, sqrt and a ** b."""
    return _rng.uniform(0.5, 2.0, shape)


def _away(*shape, low=0.2):
    """Values with |x| >= low, random sign: away from the kinks of abs, relu and clamp."""
    return _rng.uniform(low, 2.0, shape) * _rng.choice([-1.0, 1.0], shape)


MASK = np.array([[True, False, True], [False, False, True]])
COND = np.array([True, False, True, True])

# fmt: off
SPECS = [
    # -- binary arithmetic, with broadcasting and 0-d operands ----------------------------
    ("add", lambda lib, a, b: a + b, [(2, 3), (2, 3)]),
    ("add_broadcast_row", lambda lib, a, b: a + b, [(2, 3), (3,)]),
    ("add_broadcast_both", lambda lib, a, b: a + b, [(2, 1, 3), (4, 1)]),
    ("add_0d_tensor", lambda lib, a, b: a + b, [(2, 3), ()]),
    ("add_0d_0d", lambda lib, a, b: a + b, [(), ()]),
    ("add_scalar", lambda lib, a: a + 2.5, [(2, 3)]),
    ("radd_scalar", lambda lib, a: 1.5 + a, [(3,)]),
    ("sub", lambda lib, a, b: a - b, [(2, 3), (2, 1)]),
    ("rsub_scalar", lambda lib, a: 3 - a, [(2, 2)]),
    ("sub_0d", lambda lib, a, b: a - b, [(), (3,)]),
    ("mul", lambda lib, a, b: a * b, [(2, 3), (2, 3)]),
    ("mul_broadcast", lambda lib, a, b: a * b, [(3, 1), (1, 4)]),
    ("mul_0d", lambda lib, a, b: a * b, [(), (2, 2)]),
    ("mul_scalar", lambda lib, a: a * 0.5, [(4,)]),
    ("mul_self", lambda lib, a: a * a, [(3,)]),
    ("div", lambda lib, a, b: a / b, [(2, 3), _away(2, 3, low=0.5)]),
    ("div_broadcast", lambda lib, a, b: a / b, [(2, 3), _away(3, low=0.5)]),
    ("div_0d", lambda lib, a, b: a / b, [(2,), _away(low=0.5)]),
    ("rdiv_scalar", lambda lib, a: 2.0 / a, [_away(2, 2, low=0.5)]),
    ("div_scalar", lambda lib, a: a / 3, [(3,)]),
    ("pow_tensor", lambda lib, a, b: a**b, [_pos(2, 3), (2, 3)]),
    ("pow_broadcast", lambda lib, a, b: a**b, [_pos(2, 3), (3,)]),
    ("pow_0d_exponent", lambda lib, a, b: a**b, [_pos(4), ()]),
    ("pow_int", lambda lib, a: a**3, [(2, 3)]),
    ("pow_float", lambda lib, a: a**2.5, [_pos(2, 2)]),
    ("pow_negative", lambda lib, a: a**-1.5, [_pos(3)]),
    ("rpow_scalar", lambda lib, a: 2.0**a, [(2, 3)]),
    ("pow_0d", lambda lib, a: a**2, [()]),
    ("neg", lambda lib, a: -a, [(2, 3)]),
    ("neg_0d", lambda lib, a: -a, [()]),
    # -- unary math ----------------------------------------------------------------------
    ("abs", lambda lib, a: a.abs(), [_away(2, 3)]),
    ("abs_builtin", lambda lib, a: abs(a), [_away(4)]),
    ("exp", lambda lib, a: a.exp(), [(2, 3)]),
    ("exp_0d", lambda lib, a: a.exp(), [()]),
    ("log", lambda lib, a: a.log(), [_pos(2, 3)]),
    ("log_0d", lambda lib, a: a.log(), [_pos()]),
    ("sqrt", lambda lib, a: a.sqrt(), [_pos(2, 3)]),
    ("sin", lambda lib, a: a.sin(), [(2, 3)]),
    ("cos", lambda lib, a: a.cos(), [(2, 3)]),
    ("tanh", lambda lib, a: a.tanh(), [(2, 3)]),
    ("tanh_0d", lambda lib, a: a.tanh(), [()]),
    ("sigmoid", lambda lib, a: a.sigmoid(), [(2, 3)]),
    ("sigmoid_large", lambda lib, a: a.sigmoid(), [np.array([-30.0, -5.0, 0.5, 5.0, 30.0])]),
    ("relu", lambda lib, a: a.relu(), [_away(2, 3)]),
    ("relu_0d", lambda lib, a: a.relu(), [np.array(0.7)]),
    ("gelu", lambda lib, a: lib.F.gelu(a), [(2, 3)]),
    ("gelu_tanh", lambda lib, a: lib.F.gelu(a, approximate="tanh"), [(2, 3)]),
    ("gelu_0d", lambda lib, a: lib.F.gelu(a), [()]),
    ("clamp_both", lambda lib, a: a.clamp(-0.5, 0.5), [_away(2, 4, low=0.1)]),
    ("clamp_min", lambda lib, a: a.clamp(min=0.3), [_away(6, low=0.1) + 0.15]),
    ("clamp_max", lambda lib, a: a.clamp(max=-0.2), [_away(6, low=0.1) - 0.15]),
    ("clamp_0d", lambda lib, a: a.clamp(-1.0, 1.0), [np.array(0.25)]),
    ("maximum", lambda lib, a, b: lib.mod.maximum(a, b), [(2, 3), (2, 3)]),
    ("maximum_broadcast", lambda lib, a, b: lib.mod.maximum(a, b), [(2, 3), (3,)]),
    ("maximum_method_0d", lambda lib, a, b: a.maximum(b), [(4,), ()]),
    ("minimum", lambda lib, a, b: lib.mod.minimum(a, b), [(2, 3), (2, 3)]),
    ("minimum_broadcast", lambda lib, a, b: lib.mod.minimum(a, b), [(2, 1), (1, 3)]),
    ("where", lambda lib, c, a, b: lib.mod.where(c, a, b), [COND, (4,), (4,)]),
    ("where_broadcast", lambda lib, c, a, b: lib.mod.where(c, a, b), [COND, (3, 1), (4,)]),
    ("where_0d_other", lambda lib, c, a, b: lib.mod.where(c, a, b), [COND, (4,), ()]),
    ("where_scalar_other", lambda lib, c, a: lib.mod.where(c, a, 0.0), [COND, (2, 4)]),
    ("where_method", lambda lib, c, a, b: a.where(c, b), [COND, (4,), (2, 4)]),
    ("where_from_compare", lambda lib, a, b: lib.mod.where(a > b, a, b * 2), [(2, 3), (2, 3)]),
    # -- reductions ----------------------------------------------------------------------
    ("sum_all", lambda lib, a: a.sum(), [(2, 3)]),
    ("sum_dim", lambda lib, a: a.sum(dim=1), [(2, 3, 2)]),
    ("sum_dim_neg_keepdim", lambda lib, a: a.sum(-1, keepdim=True), [(2, 3)]),
    ("sum_dims_tuple", lambda lib, a: a.sum(dim=(0, 2)), [(2, 3, 2)]),
    ("sum_dims_tuple_keepdim", lambda lib, a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 2)]),
    ("sum_0d", lambda lib, a: a.sum(), [()]),
    ("sum_0d_dim", lambda lib, a: a.sum(dim=0), [()]),
    ("mean_all", lambda lib, a: a.mean(), [(2, 3)]),
    ("mean_dim", lambda lib, a: a.mean(dim=0), [(3, 2)]),
    ("mean_dims_keepdim", lambda lib, a: a.mean(dim=(1, 2), keepdim=True), [(2, 2, 3)]),
    ("mean_0d", lambda lib, a: a.mean(), [()]),
    ("max_all", lambda lib, a: a.max(), [(2, 3)]),
    ("max_dim_values", lambda lib, a: a.max(dim=1).values, [(2, 3)]),
    ("max_dim_keepdim", lambda lib, a: a.max(dim=0, keepdim=True)[0], [(3, 2)]),
    ("max_dim_indices", lambda lib, a: a.max(dim=1).indices, [(3, 4)]),
    ("max_0d", lambda lib, a: a.max(), [()]),
    ("min_all", lambda lib, a: a.min(), [(2, 3)]),
    ("min_dim_values", lambda lib, a: a.min(dim=-1).values, [(2, 3)]),
    ("min_dim_keepdim", lambda lib, a: a.min(1, True).values, [(2, 2, 3)]),
    ("amax_dims", lambda lib, a: a.amax(dim=(0, 2)), [(2, 3, 2)]),
    ("amin_dim", lambda lib, a: a.amin(dim=1, keepdim=True), [(2, 3)]),
    ("var_all", lambda lib, a: a.var(), [(2, 3)]),
    ("var_dim", lambda lib, a: a.var(dim=1), [(2, 4)]),
    ("var_dim_keepdim_biased", lambda lib, a: a.var(0, unbiased=False, keepdim=True), [(3, 2)]),
    ("var_correction_0", lambda lib, a: a.var(dim=(0, 1), correction=0), [(2, 3, 2)]),
    ("std_all", lambda lib, a: a.std(), [(2, 3)]),
    ("std_dim", lambda lib, a: a.std(dim=0), [(3, 2)]),
    ("std_dim_keepdim", lambda lib, a: a.std(dim=-1, keepdim=True), [(2, 3)]),
    ("logsumexp_dim", lambda lib, a: a.logsumexp(dim=1), [(2, 3)]),
    ("logsumexp_keepdim", lambda lib, a: a.logsumexp(0, keepdim=True), [(3, 2)]),
    ("logsumexp_dims", lambda lib, a: a.logsumexp(dim=(0, 2)), [(2, 3, 2)]),
    ("logsumexp_large", lambda lib, a: a.logsumexp(dim=0), [np.array([800.0, 799.5, -3.0])]),
    ("logsumexp_0d", lambda lib, a: a.logsumexp(dim=0), [()]),
    # -- shapes --------------------------------------------------------------------------
    ("reshape", lambda lib, a: a.reshape(3, 2), [(2, 3)]),
    ("reshape_infer", lambda lib, a: a.reshape(-1, 2), [(2, 3, 2)]),
    ("reshape_tuple", lambda lib, a: a.reshape((6,)), [(3, 2)]),
    ("reshape_0d", lambda lib, a: a.reshape(1, 1), [()]),
    ("view", lambda lib, a: a.view(2, 6), [(3, 4)]),
    ("flatten", lambda lib, a: a.flatten(), [(2, 3, 2)]),
    ("flatten_start", lambda lib, a: a.flatten(1), [(2, 3, 2)]),
    ("flatten_range", lambda lib, a: a.flatten(0, 1), [(2, 3, 2)]),
    ("flatten_0d", lambda lib, a: a.flatten(), [()]),
    ("transpose", lambda lib, a: a.transpose(0, 1), [(2, 3)]),
    ("transpose_neg", lambda lib, a: a.transpose(-1, 0), [(2, 3, 2)]),
    ("T", lambda lib, a: a.T, [(2, 3)]),
    ("permute", lambda lib, a: a.permute(2, 0, 1), [(2, 3, 2)]),
    ("permute_tuple", lambda lib, a: a.permute((1, 0)), [(2, 3)]),
    ("squeeze_all", lambda lib, a: a.squeeze(), [(1, 3, 1)]),
    ("squeeze_dim", lambda lib, a: a.squeeze(2), [(2, 3, 1)]),
    ("squeeze_noop", lambda lib, a: a.squeeze(0), [(2, 3)]),
    ("unsqueeze", lambda lib, a: a.unsqueeze(0), [(2, 3)]),
    ("unsqueeze_neg", lambda lib, a: a.unsqueeze(-1), [(2, 3)]),
    ("unsqueeze_0d", lambda lib, a: a.unsqueeze(0), [()]),
    ("expand", lambda lib, a: a.expand(2, 3), [(1, 3)]),
    ("expand_new_axes", lambda lib, a: a.expand(2, -1, 3), [(4, 1)]),
    ("expand_0d", lambda lib, a: a.expand(3, 2), [()]),
    ("cat", lambda lib, a, b: lib.mod.cat([a, b]), [(2, 3), (1, 3)]),
    ("cat_dim1", lambda lib, a, b, c: lib.mod.cat([a, b, c], dim=1), [(2, 1), (2, 3), (2, 2)]),
    ("cat_neg_dim", lambda lib, a, b: lib.mod.cat((a, b), dim=-1), [(2, 2, 1), (2, 2, 2)]),
    ("stack", lambda lib, a, b: lib.mod.stack([a, b]), [(2, 3), (2, 3)]),
    ("stack_last", lambda lib, a, b, c: lib.mod.stack([a, b, c], dim=-1), [(3,), (3,), (3,)]),
    ("stack_0d", lambda lib, a, b: lib.mod.stack([a, b]), [(), ()]),
    # -- indexing ------------------------------------------------------------------------
    ("index_int", lambda lib, a: a[1], [(3, 2)]),
    ("index_negative", lambda lib, a: a[-1, 0], [(3, 2)]),
    ("index_slice", lambda lib, a: a[1:3], [(4, 2)]),
    ("index_slice_step", lambda lib, a: a[::2, 1:], [(5, 3)]),
    ("index_ellipsis", lambda lib, a: a[..., 0], [(2, 3, 2)]),
    ("index_none", lambda lib, a: a[None, :, 1], [(3, 2)]),
    ("index_int_array", lambda lib, a, i: a[i], [(4, 2), np.array([3, 0, 2])]),
    ("index_repeated", lambda lib, a, i: a[i], [(3, 2), np.array([1, 1, 0, 1])]),
    ("index_repeated_2d", lambda lib, a, i: a[i], [(4,), np.array([[0, 3], [3, 3]])]),
    ("index_list", lambda lib, a: a[[2, 0, 2]], [(3, 2)]),
    ("index_pair", lambda lib, a, i, j: a[i, j], [(3, 4), [0, 2, 0], np.array([1, 3, 1])]),
    ("index_array_and_slice", lambda lib, a, i: a[1:, i], [(3, 4), np.array([0, 0, 2])]),
    ("index_bool_mask", lambda lib, a, m: a[m], [(2, 3), MASK]),
    ("index_bool_rows", lambda lib, a, m: a[m], [(4, 2), COND]),
    ("index_compare_mask", lambda lib, a: a[a > 0], [_away(3, 3)]),
    # -- matmul --------------------------------------------------------------------------
    ("matmul_1d_1d", lambda lib, a, b: a @ b, [(3,), (3,)]),
    ("matmul_1d_2d", lambda lib, a, b: a @ b, [(3,), (3, 2)]),
    ("matmul_2d_1d", lambda lib, a, b: a @ b, [(2, 3), (3,)]),
    ("matmul_2d_2d", lambda lib, a, b: a @ b, [(2, 3), (3, 2)]),
    ("matmul_batched", lambda lib, a, b: a @ b, [(2, 2, 3), (2, 3, 2)]),
    ("matmul_batch_2d", lambda lib, a, b: a @ b, [(2, 2, 3), (3, 2)]),
    ("matmul_2d_batch", lambda lib, a, b: a @ b, [(2, 3), (2, 3, 2)]),
    ("matmul_batch_broadcast", lambda lib, a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    ("matmul_1d_batch", lambda lib, a, b: a @ b, [(3,), (2, 3, 2)]),
    ("matmul_batch_1d", lambda lib, a, b: a @ b, [(2, 2, 3), (3,)]),
    ("matmul_method", lambda lib, a, b: a.matmul(b), [(2, 3), (3, 2)]),
    # -- softmax -------------------------------------------------------------------------
    ("softmax", lambda lib, a: a.softmax(dim=-1), [(2, 3)]),
    ("softmax_dim0", lambda lib, a: a.softmax(0), [(3, 2)]),
    ("softmax_3d", lambda lib, a: a.softmax(dim=1), [(2, 3, 2)]),
    ("softmax_0d", lambda lib, a: a.softmax(dim=0), [()]),
    ("softmax_large", lambda lib, a: a.softmax(dim=0), [np.array([900.0, 899.0, 0.0])]),
    ("log_softmax", lambda lib, a: a.log_softmax(dim=-1), [(2, 3)]),
    ("log_softmax_dim0", lambda lib, a: a.log_softmax(0), [(3, 2)]),
    ("log_softmax_0d", lambda lib, a: a.log_softmax(0), [()]),
    ("functional_softmax", lambda lib, a: lib.F.softmax(a, dim=1), [(2, 3)]),
    ("functional_log_softmax", lambda lib, a: lib.F.log_softmax(a, dim=1), [(2, 3)]),
    # -- compositions: diamonds, in-place ops inside a graph ---------------------------------
    ("diamond", lambda lib, a: a.exp() * a.sin() + a, [(2, 3)]),
    ("chain", lambda lib, a, b: ((a @ b).tanh().sum(dim=0) ** 2).mean(), [(2, 3), (3, 2)]),
    ("inplace_mul", lambda lib, a, b: a.clone().mul_(b), [(2, 3), (3,)]),
    ("inplace_add_sub", lambda lib, a, b: (a * 1).add_(b, alpha=2).sub_(b), [(2, 3), (2, 3)]),
    ("inplace_div_clamp", lambda lib, a: (a * 2).div_(3).clamp_(-0.5, 0.5), [_away(2, 3, low=0.9)]),
    ("setitem", lambda lib, a, b: _setitem(a, b), [(3, 2), (2,)]),
    ("copy_", lambda lib, a, b: (a * 1).copy_(b) * a, [(2, 3), (3,)]),
]
# fmt: on


def _setitem(a, b):
    out = a * 1
    out[1] = b
    return out


CASES = make_cases(SPECS)
