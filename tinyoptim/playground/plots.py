"""Pictures for the playground: optimizer paths over contours, and lr schedules.

matplotlib is optional (``pip install "tinyoptim[plot]"``) and imported only when a
picture is drawn. The figures are built with ``matplotlib.figure.Figure``, not pyplot, so
drawing one changes no global matplotlib state and needs no display. Each function
returns its ``Figure`` (a notebook shows it) and, given a path, also saves it as PNG.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence

from ..autograd import Tensor, no_grad
from ..autograd.factories import linspace
from ..autograd.functional import stack
from .functions import FUNCTIONS

__all__ = ["plot_lr_schedules", "plot_trajectories"]

NO_MATPLOTLIB = (
    "drawing needs matplotlib, which is not installed: "
    'pip install "tinyoptim[plot]" (or pip install -e ".[plot]" in a checkout)'
)


def plot_trajectories(
    fn: Callable[[Tensor], Tensor],
    paths: Mapping[str, Tensor | Sequence],
    path_png: str | os.PathLike | None = None,
    *,
    ncols: int | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int = 30,
    log_levels: bool | None = None,
    cmap: str | None = None,
    title: str | None = None,
    resolution: int = 200,
    dpi: int = 100,
):
    """Draw ``fn``'s contours and one path per optimizer; save to ``path_png`` if given.

    Args:
        fn: a function of a 2-element tensor, e.g. ``playground.rosenbrock``. If it is
            one of :data:`~tinyoptim.playground.functions.FUNCTIONS`, the window, the
            minima (stars) and the contour scale default to that entry's.
        paths: optimizer name → path, as returned by :func:`~tinyoptim.playground.trace`
            (a ``(steps + 1, 2)`` tensor) or any sequence of ``(x, y)`` pairs.
        path_png: where to write the PNG; None draws without saving.
        ncols: None draws every path on one set of axes; a number draws one small
            panel per path, ``ncols`` to a row (clearer for many optimizers).
        xlim, ylim: the window; by default the function's, else the paths' extent.
        levels: the number of contour lines.
        log_levels: space the contour levels geometrically (for steep valleys).
        cmap: a matplotlib colour map for the contours; None draws them in one grey,
            so the paths stand out (and the PNG stays small).
        title: the figure's title; by default the function's name.
        resolution: grid points per axis for the contours.
        dpi: of the saved PNG.

    Returns:
        The ``matplotlib.figure.Figure``.
    """
    figure_cls = _figure_class()
    known = next((entry for entry in FUNCTIONS.values() if entry.fn is fn), None)
    points = {name: _xy_lists(path) for name, path in paths.items()}
    if xlim is None or ylim is None:
        default_x, default_y = (known.xlim, known.ylim) if known else _extent(points.values())
        xlim, ylim = xlim or default_x, ylim or default_y
    if log_levels is None:
        log_levels = known.log_levels if known else False
    surface = (*_contour_data(fn, xlim, ylim, resolution, levels, log_levels), cmap)
    minima = known.minima if known else ()
    title = title if title is not None else getattr(fn, "__name__", "")

    if ncols is None:
        figure = figure_cls(figsize=(6.4, 5.2))
        axes = figure.subplots()
        _draw(axes, surface, list(points.items()), minima, xlim, ylim, first_color=0)
        axes.set_title(title)
        if points:
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        ncols = max(1, min(ncols, len(points)))
        nrows = max(1, math.ceil(len(points) / ncols))
        figure = figure_cls(figsize=(2.6 * ncols, 2.4 * nrows + 0.4))
        grid = figure.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        panels = [axes for row in grid for axes in row]
        for i, axes in enumerate(panels):
            if i >= len(points):
                axes.set_axis_off()
                continue
            name, xy = list(points.items())[i]
            _draw(axes, surface, [(name, xy)], minima, xlim, ylim, first_color=i)
            axes.set_title(name, fontsize=9)
            axes.tick_params(labelsize=7)
            axes.set_xlabel("")
            axes.set_ylabel("")
        figure.suptitle(title)
    figure.tight_layout()
    if path_png is not None:
        figure.savefig(path_png, dpi=dpi)
    return figure


def plot_lr_schedules(
    schedules: Mapping[str, Sequence[float]],
    path_png: str | os.PathLike | None = None,
    *,
    ncols: int = 3,
    title: str | None = None,
    dpi: int = 100,
):
    """Draw each named lr sequence (from :func:`lr_schedule_preview`) in its own panel.

    Returns the ``matplotlib.figure.Figure``; saves it as PNG when ``path_png`` is given.
    """
    figure_cls = _figure_class()
    names = list(schedules)
    ncols = max(1, min(ncols, len(names)))
    nrows = max(1, math.ceil(len(names) / ncols))
    figure = figure_cls(figsize=(3.2 * ncols, 2.2 * nrows))
    grid = figure.subplots(nrows, ncols, squeeze=False)
    for i, axes in enumerate(ax for row in grid for ax in row):
        if i >= len(names):
            axes.set_axis_off()
            continue
        lrs = list(schedules[names[i]])
        axes.plot(range(len(lrs)), lrs, color=f"C{i % 10}", lw=1.5)
        axes.set_title(names[i], fontsize=9)
        axes.tick_params(labelsize=7)
        axes.set_xlabel("step", fontsize=7)
        axes.set_ylabel("lr", fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path_png is not None:
        figure.savefig(path_png, dpi=dpi)
    return figure


def _figure_class():
    """``matplotlib.figure.Figure``, or a clear error saying how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ModuleNotFoundError(NO_MATPLOTLIB) from exc
    return Figure


def _contour_data(fn, xlim, ylim, resolution: int, levels: int, log_levels: bool):
    """``(xs, ys, zs, levels)`` for ``axes.contour``; log levels clip ``zs`` from below."""
    xs, ys, zs = _surface(fn, xlim, ylim, resolution)
    finite = [z for row in zs for z in row if math.isfinite(z)]
    low, high = min(finite), max(finite)
    if log_levels:
        low = max(low, high * 1e-6, 1e-12)
        ratio = high / low
        contour_levels = [low * ratio ** (i / (levels - 1)) for i in range(levels)]
        zs = [[max(z, low) for z in row] for row in zs]
    else:
        contour_levels = [low + (high - low) * i / (levels - 1) for i in range(levels)]
    return xs, ys, zs, contour_levels


def _draw(axes, surface, named_points, minima, xlim, ylim, first_color: int) -> None:
    """Contours, then each path (start as a black dot), then the minima as stars."""
    xs, ys, zs, contour_levels, cmap = surface
    colors = "0.65" if cmap is None else None
    axes.contour(xs, ys, zs, levels=contour_levels, cmap=cmap, colors=colors, linewidths=0.6)
    for i, (name, (px, py)) in enumerate(named_points, start=first_color):
        style = "-" if i < 10 else "--"
        axes.plot(px, py, style, color=f"C{i % 10}", lw=1.3, marker=".", ms=3, label=name)
    if named_points:
        start_x, start_y = named_points[0][1]
        axes.plot(start_x[:1], start_y[:1], "ko", ms=5, label="start")
    for mx, my in minima:
        axes.plot([mx], [my], "*", color="gold", mec="black", ms=12)
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    axes.set_xlabel("x")
    axes.set_ylabel("y")


def _xy_lists(path) -> tuple[list[float], list[float]]:
    rows = path.tolist() if isinstance(path, Tensor) else [list(row) for row in path]
    return [float(row[0]) for row in rows], [float(row[1]) for row in rows]


def _extent(points) -> tuple[tuple[float, float], tuple[float, float]]:
    """A window around all finite points, with a 10% margin."""
    xs = [x for px, _ in points for x in px if math.isfinite(x)] or [-1.0, 1.0]
    ys = [y for _, py in points for y in py if math.isfinite(y)] or [-1.0, 1.0]

    def padded(values):
        low, high = min(values), max(values)
        margin = 0.1 * (high - low) or 1.0
        return (low - margin, high + margin)

    return padded(xs), padded(ys)


def _surface(fn, xlim, ylim, n: int):
    """``fn`` on an ``n × n`` grid, as nested lists ``(xs, ys, zs)`` with ``zs[row][col]``."""
    with no_grad():
        xs = linspace(xlim[0], xlim[1], n, dtype="float64")
        ys = linspace(ylim[0], ylim[1], n, dtype="float64")
        grid = stack([xs.reshape(1, n).expand(n, n), ys.reshape(n, 1).expand(n, n)])
        try:  # the bundled functions broadcast over a (2, n, n) grid
            zs = fn(grid)
            if tuple(zs.shape) != (n, n):
                raise ValueError("fn does not broadcast")
            zs = zs.tolist()
        except Exception:  # a pointwise-only fn; the loop below raises any real error
            points = grid.reshape(2, n * n).T
            flat = [fn(points[i]).item() for i in range(n * n)]
            zs = [flat[r * n : (r + 1) * n] for r in range(n)]
        return xs.tolist(), ys.tolist(), zs
