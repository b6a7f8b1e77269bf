r"""Limited-memory BFGS, mirroring ``torch.optim.LBFGS``.

All parameters of the (single) group form one flat vector :math:`x` with gradient
:math:`g`. Each iteration k builds a search direction from the last m pairs
:math:`s_i = x_{i+1} - x_i`, :math:`y_i = g_{i+1} - g_i` (kept when
:math:`y_i^\top s_i > 10^{-10}`), by the two-loop recursion:

.. math::
    q = -g_k; \quad \text{for } i = k-1 \dots k-m: \;
        a_i = \rho_i s_i^\top q, \; q \mathrel{-}= a_i y_i
        \qquad (\rho_i = 1 / y_i^\top s_i) \\
    r = H_0 q, \quad H_0 = \frac{y_{k-1}^\top s_{k-1}}{y_{k-1}^\top y_{k-1}}; \quad
    \text{for } i = k-m \dots k-1: \; b = \rho_i y_i^\top r, \; r \mathrel{+}= (a_i - b) s_i \\
    d_k = r, \qquad x_{k+1} = x_k + t_k d_k

The very first iteration ever uses :math:`d = -g` and :math:`t = \min(1, 1/\|g\|_1)\,\gamma`;
later ones start from :math:`t = \gamma` (gamma = lr), either taken as it is
(``line_search_fn=None``) or refined by a strong-Wolfe line search
(``line_search_fn="strong_wolfe"``: bracketing by cubic extrapolation, then zooming by
safeguarded cubic interpolation, with :math:`c_1 = 10^{-4}`, :math:`c_2 = 0.9`). One
``step(closure)`` runs up to ``max_iter`` iterations and ``max_eval`` closure calls and
stops early when :math:`\max|g| \le` tolerance_grad, when :math:`g^\top d >
-`tolerance_change, or when x or f stop changing by more than tolerance_change.

Where torch departs from the textbook (Nocedal and Wright, Algorithms 7.4, 3.5 and 3.6),
and this file follows it: the history, the step length and the counters persist across
``step`` calls (the first pair of a call is built from the last iteration of the previous
one); the curvature test is an absolute threshold; without a line search there is no
closure call on the last iteration; the line search ignores the optimizer's
tolerance_change, caps its evaluations at ``max_eval`` minus those already spent, and may
return t = 0; and the scalars derived from dot products (y's, rho, H_0, g'd and the
first t) are values of the parameters' dtype, so in float32 the Armijo tests and the cubic
interpolation are float32 arithmetic. Losses are Python floats.

There is one group, and no foreach or fused variant: this file keeps only the reference.
All state lives in ``state[first parameter]``, under torch's keys.

References: Nocedal, "Updating Quasi-Newton Matrices with Limited Storage", Math. Comp.
1980; Liu and Nocedal, "On the limited memory BFGS method for large scale optimization",
Math. Prog. 1989; Nocedal and Wright, "Numerical Optimization", 2nd ed., ch. 3 and 7.
"""

from __future__ import annotations

from ..autograd import Tensor, no_grad
from . import _validation as msg
from ._line_search import strong_wolfe
from .optimizer import Optimizer

GROUPS = "LBFGS doesn't support per-parameter options (parameter groups)"
LINE_SEARCH = "only 'strong_wolfe' is supported"


class LBFGS(Optimizer):
    """L-BFGS over all parameters as one vector; ``step`` needs a closure."""

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        msg.check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(GROUPS)

    # -- the flat vector -------------------------------------------------------------------

    @property
    def _params(self) -> list:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        """All gradients as one flat array: zeros where a grad is None, sparse densified."""
        first = self._params[0]
        views = []
        for p in self._params:
            grad = p.grad
            if grad is None:
                views.append(p.backend.xp.zeros(p.numel(), dtype=p.data.dtype))
            elif grad.is_sparse:
                views.append(grad.to_dense().reshape(-1))
            else:
                views.append(grad.data.reshape(-1))
        return first.backend.xp.concatenate(views)

    def _add_grad(self, t, d) -> None:
        """``x += t * d``, slice by slice, in place."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.data += d[offset : offset + n].reshape(p.shape) * t
            offset += n

    def _clone_param(self) -> list:
        return [p.data.copy() for p in self._params]

    def _set_param(self, values) -> None:
        for p, value in zip(self._params, values):
            p.data[...] = value

    def _evaluate(self, closure) -> float:
        """Run the closure (grad enabled) and return its loss as a Python float."""
        loss = self._call_closure(closure)
        return loss.item() if isinstance(loss, Tensor) else float(loss)

    def _directional_evaluate(self, closure, x, t, d):
        """``(f, g)`` at ``x + t d``; the parameters are put back to ``x`` afterwards."""
        self._add_grad(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def _read(self, array):
        """A 0-d device array as a host scalar of its dtype (an explicit ``.item()``)."""
        return array.dtype.type(Tensor._make(array, self._params[0].device).item())

    def _abs_max(self, array):
        return self._read(abs(array).max())

    # -- the step --------------------------------------------------------------------------

    @no_grad()
    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; returns the closure's first loss."""
        group = self.param_groups[0]
        lr = group["lr"]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        history_size = group["history_size"]
        line_search_fn = group["line_search_fn"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._call_closure(closure)
        loss = orig_loss.item() if isinstance(orig_loss, Tensor) else float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if self._abs_max(flat_grad) <= tolerance_grad:
            return orig_loss  # already optimal: no iteration

        d, t, old_dirs, old_stps, ro, H_diag, al, prev_flat_grad, prev_loss = self._restore(state)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -- direction --
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if self._read(ys) > 1e-10:  # an absolute curvature threshold, as torch
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if al is None:
                    al = [None] * history_size
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q -= old_dirs[i] * al[i]
                r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += old_stps[i] * (al[i] - be_i)
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # -- step length --
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / self._read(abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = self._read(flat_grad.dot(d))
            if gtd > -tolerance_change:
                break  # not a descent direction: no move

            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":  # where torch finds out: only ever on
                    state["func_evals"] -= 1  # a call's first iteration, before anything
                    state["n_iter"] -= 1  # moved, so undoing the counts restores all
                    raise RuntimeError(LINE_SEARCH)  # (API.md deviation 5)
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func,
                    self._read,
                    x_init,
                    t,
                    d,
                    loss,
                    flat_grad,
                    gtd,
                    max_ls=max_eval - current_evals,
                )
                self._add_grad(t, d)
                opt_cond = self._abs_max(flat_grad) <= tolerance_grad
            else:
                self._add_grad(t, d)
                ls_func_evals = 0
                opt_cond = False
                if n_iter != max_iter:  # no re-evaluation after the last iteration
                    loss = self._evaluate(closure)
                    flat_grad = self._gather_flat_grad()
                    opt_cond = self._abs_max(flat_grad) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # -- termination, in torch's order --
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if self._abs_max(d * t) <= tolerance_change:
                break  # lack of progress in x
            if abs(loss - prev_loss) < tolerance_change:
                break  # lack of progress in f

        self._save(state, d, t, old_dirs, old_stps, ro, H_diag, al, prev_flat_grad, prev_loss)
        return orig_loss

    # -- state: torch's keys, tensors where torch keeps tensors ----------------------------------

    def _restore(self, state):
        """The saved history as arrays and host scalars (missing entries are None)."""

        def array(value):
            return value.data if isinstance(value, Tensor) else value

        def arrays(values):
            return None if values is None else [array(v) for v in values]

        t = state.get("t")
        if isinstance(t, Tensor):
            t = self._read(t.data)
        return (
            array(state.get("d")),
            t,
            arrays(state.get("old_dirs")),
            arrays(state.get("old_stps")),
            arrays(state.get("ro")),
            array(state.get("H_diag")),
            arrays(state.get("al")),
            array(state.get("prev_flat_grad")),
            state.get("prev_loss"),
        )

    def _save(self, state, d, t, old_dirs, old_stps, ro, H_diag, al, prev_flat_grad, prev_loss):
        device = self._params[0].device

        def tensor(value):  # a device array as a Tensor; torch's plain numbers stay as they are
            return (
                value
                if value is None or type(value) in (int, float)
                else Tensor._make(value, device)
            )

        if al is not None:  # first, where torch's dict gets it when it is made mid-step
            state["al"] = [tensor(v) for v in al]
        state["d"] = tensor(d)
        if t is not None and type(t) not in (int, float):  # a 0-d tensor, as torch's
            t = self._params[0].backend.xp.asarray(t)
        state["t"] = tensor(t)
        state["old_dirs"] = None if old_dirs is None else [tensor(v) for v in old_dirs]
        state["old_stps"] = None if old_stps is None else [tensor(v) for v in old_stps]
        state["ro"] = None if ro is None else [tensor(v) for v in ro]
        state["H_diag"] = tensor(H_diag)
        state["prev_flat_grad"] = tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
