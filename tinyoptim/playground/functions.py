r"""Classic 2-D test functions for watching optimizers, as tinyoptim tensor functions.

Each function takes ``xy``, a tensor whose first axis holds the two coordinates
(``x, y = xy[0], xy[1]``), and returns ``f(x, y)``. With a 2-element tensor that is a
scalar you can ``backward()`` through; with a ``(2, H, W)`` grid it is the ``(H, W)``
surface, which the contour plots use.

=============  ===========================================================  ================
function       formula                                                      minimum
=============  ===========================================================  ================
rosenbrock     :math:`(a - x)^2 + b (y - x^2)^2`, a = 1, b = 100              (1, 1)
beale          :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2`
               :math:`+ (2.625 - x + xy^3)^2`                                 (3, 0.5)
rastrigin      :math:`2A + x^2 - A\cos 2\pi x + y^2 - A\cos 2\pi y`, A = 10   (0, 0)
himmelblau     :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`                     four, e.g. (3, 2)
booth          :math:`(x + 2y - 7)^2 + (2x + y - 5)^2`                        (1, 3)
quadratic      :math:`\tfrac12 (x^2 + \kappa y^2)`, κ = 10                     (0, 0)
=============  ===========================================================  ================

All minima have value 0.

>>> import tinyoptim
>>> rosenbrock(tinyoptim.tensor([1.0, 1.0])).item()
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..autograd import Tensor

__all__ = [
    "FUNCTIONS",
    "TestFunction",
    "beale",
    "booth",
    "himmelblau",
    "quadratic",
    "rastrigin",
    "rosenbrock",
]


def rosenbrock(xy: Tensor, a: float = 1.0, b: float = 100.0) -> Tensor:
    """Rosenbrock's banana valley: easy to reach, slow to follow to (a, a²)."""
    x, y = xy[0], xy[1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def beale(xy: Tensor) -> Tensor:
    """Beale's function: flat plateaus and sharp ridges, minimum at (3, 0.5)."""
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def rastrigin(xy: Tensor, A: float = 10.0) -> Tensor:  # noqa: N803 - the usual letter
    """Rastrigin's function: a bowl covered with local minima, global minimum at (0, 0)."""
    x, y = xy[0], xy[1]
    return 2 * A + (x**2 - A * (2 * math.pi * x).cos()) + (y**2 - A * (2 * math.pi * y).cos())


def himmelblau(xy: Tensor) -> Tensor:
    """Himmelblau's function: four minima of value 0, one of them at (3, 2)."""
    x, y = xy[0], xy[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def booth(xy: Tensor) -> Tensor:
    """Booth's function: a tilted quadratic valley, minimum at (1, 3)."""
    x, y = xy[0], xy[1]
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def quadratic(xy: Tensor, kappa: float = 10.0) -> Tensor:
    """An ill-conditioned bowl ``(x² + κ y²) / 2``: κ is its condition number."""
    x, y = xy[0], xy[1]
    return 0.5 * (x**2 + kappa * y**2)


@dataclass(frozen=True)
class TestFunction:
    """A test function with what a picture of it needs: a start, a window and its minima."""

    __test__ = False  # not a pytest test class, despite the name

    fn: object
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_levels: bool  # contour levels on a log scale (steep valleys)


FUNCTIONS = {
    "rosenbrock": TestFunction(
        rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0), ((1.0, 1.0),), True
    ),
    "beale": TestFunction(beale, (1.0, 1.5), (-4.5, 4.5), (-4.5, 4.5), ((3.0, 0.5),), True),
    "rastrigin": TestFunction(
        rastrigin, (-2.2, 2.4), (-4.5, 4.5), (-4.5, 4.5), ((0.0, 0.0),), False
    ),
    "himmelblau": TestFunction(
        himmelblau,
        (0.0, 0.0),
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        True,
    ),
    "booth": TestFunction(booth, (-8.0, 8.0), (-10.0, 10.0), (-10.0, 10.0), ((1.0, 3.0),), True),
    "quadratic": TestFunction(
        quadratic, (-4.0, 2.0), (-5.0, 5.0), (-3.0, 3.0), ((0.0, 0.0),), True
    ),
}
"""Each function by name, with a classic start point, a plotting window and its minima."""
