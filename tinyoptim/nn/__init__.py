"""Neural-network layers, losses and helpers, mirroring ``torch.nn``.

``Module`` keeps parameters, buffers and submodules by name; the layers compute through
``nn.functional``, whose dedicated ops (convolution, pooling, embedding, NLL) live in
``autograd/ops``. ``init`` holds torch's initialisers and ``utils`` gradient clipping.
"""

from . import functional, init, utils
from .activation import GELU, Dropout, Flatten, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .conv import AvgPool2d, Conv2d, MaxPool2d, MaxUnpool2d
from .embedding import Embedding
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter

__all__ = [
    "GELU",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "MaxUnpool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]
