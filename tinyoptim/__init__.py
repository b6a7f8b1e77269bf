"""tinyoptim: a small deep-learning engine with torch.optim's optimizers, number for number.

``tinyoptim.Tensor`` is a reverse-mode autograd tensor on NumPy (CPU), CuPy (GPU) or the
strict test device; ``tinyoptim.nn`` holds modules and ``tinyoptim.optim`` optimizers that
mirror torch's.
"""

__version__ = "0.1.0"

from . import autograd, cuda, distributed, nn, optim, playground, utils
from .autograd import (
    Tensor,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd.factories import (
    arange,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .autograd.function_forms import (
    FUNCTIONS as _FUNCTION_FORMS,
)
from .autograd.function_forms import (
    allclose,
    equal,
    is_tensor,
    isclose,
    numel,
    pow,  # noqa: A004 - torch's name
    rand_like,
    randn_like,
)
from .autograd.functional import cat, maximum, minimum, stack, where
from .backends import (
    Device as device,
)
from .backends import (
    get_default_device,
    get_default_dtype,
    get_rng_state,
    manual_seed,
    set_default_device,
    set_default_dtype,
    set_rng_state,
)
from .backends.dtype import DType as dtype
from .backends.dtype import bool_ as bool  # noqa: A001 - torch's name
from .backends.dtype import float16, float32, float64, int32, int64, uint8
from .backends.dtype import float16 as half
from .backends.dtype import float32 as float  # noqa: A001 - torch's name
from .backends.dtype import float64 as double
from .backends.dtype import int32 as int  # noqa: A001 - torch's name
from .backends.dtype import int64 as long
from .history import History
from .serialization import load, save

__all__ = [
    "History",
    "Tensor",
    "bool",
    "arange",
    "autograd",
    "cat",
    "cuda",
    "device",
    "distributed",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "get_default_device",
    "get_default_dtype",
    "get_rng_state",
    "int32",
    "int64",
    "inference_mode",
    "is_grad_enabled",
    "linspace",
    "load",
    "manual_seed",
    "nn",
    "optim",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "playground",
    "utils",
    "rand",
    "randint",
    "randperm",
    "randn",
    "save",
    "set_default_device",
    "set_default_dtype",
    "set_grad_enabled",
    "set_rng_state",
    "stack",
    "tensor",
    "uint8",
    "where",
    "zeros",
    "zeros_like",
    # torch's other names for dtypes
    "double",
    "float",
    "half",
    "int",
    "long",
    # torch's tensor predicates and factories of a tensor's kind
    "allclose",
    "equal",
    "is_tensor",
    "isclose",
    "numel",
    "pow",
    "rand_like",
    "randn_like",
]

# torch's function forms of tensor methods: tinyoptim.exp(x) is x.exp()
globals().update(_FUNCTION_FORMS)
__all__ += sorted(_FUNCTION_FORMS)
