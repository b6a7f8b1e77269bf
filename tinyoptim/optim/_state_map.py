"""``optimizer.state``: a dict of per-parameter dicts that counts its changes.

It behaves like torch's ``defaultdict(dict)``: ``state[p]`` makes an empty dict for a
parameter it has not seen. Every change to it, or to one of the per-parameter dicts,
adds one to ``changes``, so the fast path can tell in one comparison that no state was
replaced since its last step (``_plan.py``). A plain dict stored in it is wrapped, which
copies it: ``state[p] = d`` followed by ``d[k] = v`` does not reach the optimizer.
"""

from __future__ import annotations


class StateMap(dict):
    """Parameter -> its state (a ``ParamState``), made empty on first access."""

    def __init__(self, items=()):
        super().__init__()
        self.changes = 0
        self.update(items)

    def __missing__(self, key):
        self[key] = value = ParamState(self)
        return value

    def __setitem__(self, key, value) -> None:
        self.changes += 1
        if type(value) is dict:
            value = ParamState(self, value)
        super().__setitem__(key, value)

    def __delitem__(self, key) -> None:
        self.changes += 1
        super().__delitem__(key)

    def update(self, items=(), **kwargs) -> None:
        for key, value in dict(items, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = {} if default is None else default
        return self[key]

    def pop(self, *args):
        self.changes += 1
        return super().pop(*args)

    def popitem(self):
        self.changes += 1
        return super().popitem()

    def clear(self) -> None:
        self.changes += 1
        super().clear()

    def __ior__(self, other):
        self.update(other)
        return self

    def __reduce__(self):  # copies and pickles rebuild through __init__
        return StateMap, (dict(self),)


class ParamState(dict):
    """One parameter's state; every change counts in its ``StateMap``."""

    def __init__(self, owner: StateMap, items=()):
        super().__init__(items)
        self.owner = owner

    def __setitem__(self, key, value) -> None:
        self.owner.changes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key) -> None:
        self.owner.changes += 1
        super().__delitem__(key)

    def update(self, *args, **kwargs) -> None:
        self.owner.changes += 1
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        self.owner.changes += 1
        return super().setdefault(key, default)

    def pop(self, *args):
        self.owner.changes += 1
        return super().pop(*args)

    def popitem(self):
        self.owner.changes += 1
        return super().popitem()

    def clear(self) -> None:
        self.owner.changes += 1
        super().clear()

    def __ior__(self, other):
        self.update(other)
        return self

    def __reduce__(self):  # a copy on its own is a plain dict; StateMap re-wraps it
        return dict, (dict(self),)
