"""torch's validation messages for optimizer arguments (TORCH_OPTIM.md §5), in one place."""

from __future__ import annotations

EMPTY_PARAMS = "optimizer got an empty parameter list"
SET_PARAMS = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)
DUPLICATE_IN_GROUP = (
    "optimizer contains a parameter group with duplicate parameters; in future, this will "
    "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information"
)
IN_SEVERAL_GROUPS = "some parameters appear in more than one parameter group"
NON_LEAF = "can't optimize a non-leaf Tensor"
MISSING_NAMES = "all optimizer params should be with/without names. Some param names are missing"
GROUP_COUNT = "loaded state dict has a different number of parameter groups"
GROUP_SIZE = (
    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
)


def check_lr(lr, test: str = "0 <= lr") -> None:
    """``Invalid learning rate`` unless ``test`` holds, written as torch writes it for the
    optimizer: ``0 <= lr`` (NaN fails), ``0 < lr`` (SparseAdam) or ``lr >= 0`` (SGD, whose
    ``lr < 0.0`` lets NaN through). A wrongly typed lr fails the same comparison."""
    if _is_tensor(lr):
        raise TypeError("tinyoptim does not support a Tensor lr; pass a Python float")
    if test == "0 < lr":
        valid = 0.0 < lr
    elif test == "lr >= 0":
        valid = not lr < 0.0
    else:
        valid = 0.0 <= lr
    if not valid:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_non_negative(name: str, value) -> None:
    """``Invalid <name> value: <value>`` for a negative hyperparameter."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def check_unsupported_flags(capturable: bool = False, differentiable: bool = False) -> None:
    """API.md deviation 4: the flags are kept in the groups, but only False works."""
    for name, value in (("capturable", capturable), ("differentiable", differentiable)):
        if value:
            raise ValueError(
                f"tinyoptim does not support {name}=True (there are no CUDA graphs or "
                "higher-order gradients here); leave it False"
            )


def _is_tensor(value) -> bool:
    from ..autograd import Tensor

    return isinstance(value, Tensor)


def check_epsilon(eps) -> None:
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


def check_betas(betas) -> None:
    """``0 <= beta < 1`` for each beta; Tensor betas are not supported (deviation 4)."""
    for index in (0, 1):  # betas[1] of a 1-tuple raises torch's IndexError
        beta = betas[index]
        if _is_tensor(beta):
            raise TypeError("tinyoptim does not support Tensor betas; pass Python floats")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


FUSED_DEVICES = ["cpu", "cuda"]  # the device types with compiled kernels
FUSED_SPARSE = {
    "SGD": "`_fused_sgd` does not support sparse gradients",
    "Adagrad": "`fused` does not support sparse grad or complex param",
}


def check_fused(optimizer, fused, foreach, kernel: str) -> None:
    """torch's constructor checks of ``fused=True``, then that this machine has the compiled
    ``kernel``: numba's on the CPU (the ``[fast]`` extra), CuPy's on CUDA."""
    if not fused:
        return
    if foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    name = type(optimizer).__name__
    for group in optimizer.param_groups:
        for p in group["params"]:
            if not p.dtype.is_floating_point or p.device.type not in FUSED_DEVICES:
                continue  # refused at its first step, as in torch (check_fused_param)
            if p.backend.kernel(kernel) is None:
                raise RuntimeError(
                    f"{name}(fused=True) needs numba for its compiled CPU kernel: "
                    'pip install -e ".[fast]" (or pip install numba)'
                )


def check_fused_param(p) -> None:
    """torch's step-time check of each parameter of a ``fused=True`` group."""
    if not (p.dtype.is_floating_point and p.device.type in FUSED_DEVICES):
        raise RuntimeError(
            "`fused=True` requires all the params to be floating point Tensors of "
            f"supported devices: {FUSED_DEVICES} but {p.dtype} and {p.device.type}"
        )
