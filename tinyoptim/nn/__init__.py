"""Neural-network layers, losses and helpers, mirroring ``torch.nn``.

``Module`` keeps parameters, buffers and submodules by name (the containers,
``Sequential`` to ``ParameterDict``, by index or key); the layers compute through
``nn.functional``, whose dedicated ops (convolution, pooling, embedding, NLL) live in
``autograd/ops``. ``init`` holds torch's initialisers and ``utils`` gradient clipping.
"""

from . import functional, init, utils
from ._containers import ModuleDict, ParameterDict, ParameterList
from .activation import (
    ELU,
    GELU,
    Dropout,
    Flatten,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)
from .container import ModuleList, Sequential
from .conv import AvgPool2d, Conv2d, MaxPool2d, MaxUnpool2d
from .embedding import Embedding
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter

__all__ = [
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "MaxUnpool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softsign",
    "Tanh",
    "functional",
    "init",
    "utils",
]
