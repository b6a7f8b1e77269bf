"""The optimizer playground: 2-D test functions, optimizer paths, lr previews, pictures.

>>> from tinyoptim.optim import Adam
>>> from tinyoptim.playground import rosenbrock, trace
>>> path = trace(Adam, rosenbrock, [-1.5, 2.0], steps=500, lr=0.05)
>>> path.shape
(501, 2)

``plot_trajectories`` and ``plot_lr_schedules`` need matplotlib (the ``[plot]`` extra);
importing this package does not import it.
"""

from .functions import (
    FUNCTIONS,
    TestFunction,
    beale,
    booth,
    himmelblau,
    quadratic,
    rastrigin,
    rosenbrock,
)
from .plots import plot_lr_schedules, plot_trajectories
from .trace import lr_schedule_preview, trace

__all__ = [
    "FUNCTIONS",
    "TestFunction",
    "beale",
    "booth",
    "himmelblau",
    "lr_schedule_preview",
    "plot_lr_schedules",
    "plot_trajectories",
    "quadratic",
    "rastrigin",
    "rosenbrock",
    "trace",
]
