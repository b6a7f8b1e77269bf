"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and registers itself on a Module.

    ``Parameter(t)`` shares ``t``'s data (no copy), as in torch.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            from ..autograd.factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a tinyoptim.Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        p.data, p._device = data.data, data.device
        p.grad_fn, p._grad, p._requires_grad, p._retains_grad = None, None, False, False
        p._version_counter = data._version_counter
        if requires_grad:
            p.requires_grad = True
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        """Everything happens in ``__new__``; this only stops ``Tensor.__init__`` copying."""

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (self.detach(), self.requires_grad))
