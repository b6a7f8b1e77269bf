"""``Module``: the base class of layers and models, with torch's registration and state dicts.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it (in
``_parameters`` or ``_modules``, in assignment order); ``register_buffer`` adds a tensor
that is state but not learnable (running means). Everything that walks a model
(``named_parameters``, ``state_dict``, ``to``, ``train``) follows those registries, so the
names are torch's: ``"0.weight"``, ``"encoder.layers.1.bias"``.

The rest of torch's interface comes from mixins: state dicts and their customization
points (``_state.StateDict``), forward and state-dict hooks (``_hooks``), backward hooks
(``_backward_hooks``).
"""

from __future__ import annotations

from collections import OrderedDict

from ..autograd.factories import empty_like
from ..autograd.tensor import Tensor, requested_dtype
from ..autograd.zero_grad import zero_grads
from . import _paths, _printing, _state
from ._backward_hooks import BackwardHooks, init_backward_hooks
from ._hooks import ForwardHooks, StateDictHooks
from .parameter import Parameter


def _join(prefix: str, name: str) -> str:
    return prefix + ("." if prefix else "") + name


class Module(_state.StateDict, StateDictHooks, BackwardHooks, ForwardHooks):
    """Base class of every layer: holds parameters, buffers and submodules by name."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        self._init_hooks()

    def _init_hooks(self) -> None:
        """Empty hook registries (only the missing ones, for an older pickle)."""
        self._init_forward_hooks()
        self._init_state_dict_hooks()
        init_backward_hooks(self)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())
        self._init_hooks()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        """Run ``forward``, and the hooks around it if there are any."""
        if (
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
        ):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # -- registration ----------------------------------------------------------------

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter or None) under ``name``."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(tinyoptim.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                "be created explicitly."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a non-learnable state tensor; ``persistent=False`` keeps it out of state_dict."""
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(tinyoptim.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            if "_parameters" not in d:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")  # a replaced one keeps its place
            self.register_parameter(name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(tinyoptim.nn.Parameter or None expected)"
                )
            d["_parameters"][name] = None
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(tinyoptim.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(tinyoptim.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from the instance dict and the registries other than ``keep``,
        where re-registering it then keeps its position, as in torch."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, ()):
                del self.__dict__[registry][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    # -- walking the tree --------------------------------------------------------------

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """``(name, module)`` for this module and every descendant, depth first."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def get_submodule(self, target: str) -> Module:
        """The descendant at the dotted path ``target`` ("" is this module)."""
        return _paths.submodule(self, target)

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target``: replace the submodule there, or
        (unless ``strict``) add it to the existing parent."""
        _paths.set_submodule(self, target, module, strict)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target``."""
        return _paths.parameter(self, target)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (running statistics and the like)."""
        return _paths.buffer(self, target)

    def modules(self):
        """This module and every descendant, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """``(name, child)`` for the direct submodules."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        """The direct submodules."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix, recurse, remove_duplicate):
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield _join(module_prefix, name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """``(name, parameter)`` pairs in registration order, shared ones once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Every parameter (of the descendants too, unless ``recurse=False``), each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """``(name, buffer)`` pairs in registration order."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """Every buffer (running statistics and the like), each once."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on self; return self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- state dicts (``_state.StateDict``) ----------------------------------------------

    _version: int = 1  # a layer whose state_dict layout changed counts up (BatchNorm: 2)

    # -- modes, devices, grads -----------------------------------------------------------

    def train(self, mode: bool = True):
        """Set training mode on this module and every descendant; return self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():  # through their own train(), which they may override
            child.train(mode)
        return self

    def eval(self):
        """``train(False)``: dropout off, batch norm on its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` on every parameter; return self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs):
        """Move (and/or cast floating) parameters and buffers in place; objects keep identity.

        ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``. Grads move too.
        """
        dtype = requested_dtype(*args, **kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtype}"
            )
        return self._swap_storage(lambda t: t.to(*args, **kwargs))

    def cuda(self, device=None):
        """``to("cuda")`` (or the given GPU)."""
        return self.to("cuda" if device is None else device)

    def cpu(self):
        """``to("cpu")``."""
        return self.to("cpu")

    def float(self):
        """Cast floating parameters and buffers to float32, in place."""
        return self._swap_storage(lambda t: t.float())

    def double(self):
        """Cast floating parameters and buffers to float64, in place."""
        return self._swap_storage(lambda t: t.double())

    def half(self):
        """Cast floating parameters and buffers to float16, in place."""
        return self._swap_storage(lambda t: t.half())

    def type(self, dst_type):
        """Cast every parameter and buffer, integer ones too, to ``dst_type`` (a dtype or a
        name such as ``"tinyoptim.DoubleTensor"``), in place."""
        return self._apply(lambda t: t.type(dst_type))

    def to_empty(self, *, device, recurse: bool = True):
        """Give parameters and buffers new, uninitialized storage on ``device``."""
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def share_memory(self):
        """Return self. torch moves parameters and buffers into shared memory for its
        multiprocessing; tinyoptim has no tensors shared across processes, so none move."""
        return self

    def _swap_storage(self, convert):
        """``_apply(convert)``, where integer tensors only move device."""
        return self._apply(_state.keeping_integer_dtypes(convert))

    def _apply(self, fn, recurse: bool = True):
        """Replace the data of every parameter, buffer and grad by ``fn(it)`` (run under
        no_grad), the descendants' first (unless ``recurse=False``); the objects stay."""
        if recurse:
            for child in self.children():
                child._apply(fn)
        own = [*self._parameters.values(), *self._buffers.values()]
        _state.swap_storage([t for t in own if t is not None], fn)
        return self

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero every parameter's grad in place (the grad objects survive), or drop them.

        ``set_to_none=False`` is the default here (torch's is True): a grad that is a view
        of a flat buffer stays one.
        """
        zero_grads(self.parameters(), set_to_none)

    def flatten_parameters(self) -> None:
        """Make every parameter, and its grad, a view of one flat buffer per (device, dtype).

        Parameter and grad objects keep their identity; a missing grad becomes a zero-filled
        view. An optimizer then updates each bucket in one pass over contiguous memory.
        """
        _state.flatten(list(self.parameters()))

    # -- printing -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The layer's own settings, shown inside its repr (override in subclasses)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        children = [(name, repr(module)) for name, module in self._modules.items()]
        return _printing.layout(self._get_name(), self.extra_repr(), children)

    def __dir__(self):
        names = list(super().__dir__())
        for registry in ("_parameters", "_buffers", "_modules"):
            names += list(self.__dict__[registry])
        return sorted(set(names))
