"""Interactive explorers used by the book (ipywidgets).

The explorers need a live Python kernel (Binder or a local Jupyter): in the rendered,
static book their sliders cannot rerun anything, so every chapter that shows an explorer
also shows static figures for a few settings.

Each explorer draws with matplotlib's Agg renderer into an ``ipywidgets.Image``. It never
prints or displays figures itself, so a notebook cell that shows an explorer has one
output, the widget, whose plain-text form is a fixed one-line description. (Figures
displayed from inside an ``Output`` widget would reach a notebook tester as extra cell
outputs.)
"""

from __future__ import annotations

import io
from typing import Callable

import numpy as np

from .._validation import as_float_array, check_nonnegative_int, check_positive
from ..rrr import RRRResult, alternating_projections, rrr

__all__ = ["record_orbit", "RRRExplorer"]

_METHODS = {"rrr": rrr, "ap": alternating_projections}


def record_orbit(x0, project_a, project_b, *, method="rrr", beta=1.0, max_iter=100,
                 tol=1e-10) -> tuple[RRRResult, np.ndarray]:
    """Run RRR (or alternating projections) and keep every iterate.

    Runs :func:`~lossless_tutorial.rrr.rrr` (``method="rrr"``) or
    :func:`~lossless_tutorial.rrr.alternating_projections` (``method="ap"``; ``beta`` is
    then ignored) and records the iterates through the ``callback`` hook.

    Returns
    -------
    result : RRRResult
        The package's result, unchanged.
    orbit : array of shape (result.n_iter + 1, *x0.shape)
        ``orbit[0]`` is ``x0`` and ``orbit[t]`` the iterate after ``t`` iterations, so
        ``orbit[-1]`` is ``result.x``. (``result.errors[t]`` is the error of the
        iteration that starts from ``orbit[t]``.)
    """
    if method not in _METHODS:
        raise ValueError(f"method must be 'rrr' or 'ap', got {method!r}")
    x0 = as_float_array("x0", x0)
    iterates = [x0.copy()]

    def keep(iteration, x, error):
        iterates.append(np.array(x, dtype=float, copy=True))
        return False

    kwargs = {"max_iter": max_iter, "tol": tol, "callback": keep}
    if method == "rrr":
        kwargs["beta"] = beta
    result = _METHODS[method](x0, project_a, project_b, **kwargs)
    if len(iterates) != result.n_iter + 1:
        raise RuntimeError("the recorded orbit does not match the number of iterations")
    return result, np.stack(iterates)


class RRRExplorer:
    """RRR on a problem in the plane, with a slider for beta (and one for the iterations).

    Moving a slider reruns :func:`~lossless_tutorial.rrr.rrr` from the same start ``x0``
    and redraws two panels: the orbit in the plane (iterates ``x_t`` as a line, their
    projections ``P_A(x_t)`` as small dots, the final iterate and its ``P_A``: a star
    for the solution that RRR reads off if it converged, a gray cross otherwise) and the
    error against the iteration. Display the explorer (or its ``widget``) in a notebook;
    the sliders need a live kernel.

    Parameters
    ----------
    project_a, project_b : callable
        The projections P_A and P_B of points of the plane (shape (2,)).
    x0 : array of shape (2,)
        The start, the same for every run.
    draw_sets : callable, optional
        ``draw_sets(ax)`` draws the sets A and B on the orbit panel (for example with
        :func:`~lossless_tutorial.book.plotting.plot_line`); label them for the legend.
    beta : float
        Initial value of the beta slider.
    beta_range : (float, float)
        The slider's range; the default ``(0.05, 2.0)`` spans slow, flow-like steps,
        Douglas-Rachford (beta = 1) and over-relaxation.
    beta_step : float
        The slider's step.
    max_iter : int
        Initial value of the iteration slider, which runs from 1 to ``max_iter_limit``.
    max_iter_limit : int, optional
        Upper end of the iteration slider (default ``max(max_iter, 500)``).
    tol : float
        Stop when the error falls below ``tol``.
    xlim, ylim : (float, float), optional
        Fixed limits of the orbit panel, so the view does not jump between runs.
    title : str
        Title of the orbit panel; the value of beta and the outcome are appended.
    figsize, dpi
        Size (inches) and resolution of the drawing.

    Attributes
    ----------
    beta_slider : ipywidgets.FloatSlider
        The slider for beta.
    iterations_slider : ipywidgets.IntSlider
        The slider for the number of iterations.
    image : ipywidgets.Image
        The current drawing, a PNG.
    widget : ipywidgets.VBox
        The sliders and the image; this is what a notebook displays.
    result : RRRResult
        The last run.
    orbit : numpy.ndarray
        The iterates of the last run (see :func:`record_orbit`).
    figure : matplotlib.figure.Figure
        The figure of the last drawing.
    n_runs : int
        How many times RRR has been run.
    """

    def __init__(self, project_a: Callable, project_b: Callable, x0, *,
                 draw_sets: Callable | None = None, beta=0.5, beta_range=(0.05, 2.0),
                 beta_step=0.05, max_iter=100, max_iter_limit=None, tol=1e-10,
                 xlim=None, ylim=None, title="RRR", figsize=(8.0, 3.6), dpi=80):
        import ipywidgets

        self.x0 = as_float_array("x0", x0, ndim=1)
        if self.x0.shape != (2,):
            raise ValueError(f"x0 must be a point of the plane (shape (2,)), got shape "
                             f"{self.x0.shape}")
        low, high = (check_positive("beta_range", float(v)) for v in beta_range)
        if not low < high:
            raise ValueError(f"beta_range must be (low, high) with 0 < low < high, "
                             f"got {beta_range!r}")
        beta = check_positive("beta", beta)
        if not low <= beta <= high:
            raise ValueError(f"beta must lie in beta_range {beta_range!r}, got {beta!r}")
        beta_step = check_positive("beta_step", beta_step)
        max_iter = check_nonnegative_int("max_iter", max_iter, minimum=1)
        limit = max(max_iter, 500) if max_iter_limit is None else max_iter_limit
        limit = check_nonnegative_int("max_iter_limit", limit, minimum=max_iter)
        self.project_a, self.project_b = project_a, project_b
        self.draw_sets = draw_sets
        self.tol = check_positive("tol", tol, allow_zero=True)
        self.xlim, self.ylim = xlim, ylim
        self.title, self.figsize, self.dpi = title, figsize, dpi
        self.result: RRRResult | None = None
        self.orbit: np.ndarray | None = None
        self.figure = None
        self.n_runs = 0

        self.beta_slider = ipywidgets.FloatSlider(
            value=beta, min=low, max=high, step=beta_step, description="β",
            continuous_update=False, readout_format=".2f")
        self.iterations_slider = ipywidgets.IntSlider(
            value=max_iter, min=1, max=limit, step=1, description="iterations",
            continuous_update=False)
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.widget = ipywidgets.VBox(
            [ipywidgets.HBox([self.beta_slider, self.iterations_slider]), self.image])
        self.beta_slider.observe(self._on_change, names="value")
        self.iterations_slider.observe(self._on_change, names="value")
        self.update()

    @property
    def beta(self) -> float:
        return float(self.beta_slider.value)

    @property
    def max_iter(self) -> int:
        return int(self.iterations_slider.value)

    def run(self, beta=None, max_iter=None) -> tuple[RRRResult, np.ndarray]:
        """Run RRR from ``x0`` (default: the sliders' values); returns result and orbit."""
        beta = self.beta if beta is None else beta
        max_iter = self.max_iter if max_iter is None else max_iter
        self.n_runs += 1
        return record_orbit(self.x0, self.project_a, self.project_b, beta=beta,
                            max_iter=max_iter, tol=self.tol)

    def draw(self, beta=None, max_iter=None, *, axes=None):
        """Run RRR and draw the orbit (and, given two axes, the error trace).

        ``axes`` is one Axes (orbit only) or a pair (orbit, error); by default a new
        figure with both panels is made (``self.figure``). Returns the axes drawn on.
        """
        from . import plotting

        beta = self.beta if beta is None else float(beta)
        result, orbit = self.run(beta, max_iter)
        if axes is None:
            axes = self._new_figure()
        pair = isinstance(axes, (list, tuple, np.ndarray))
        ax_orbit = axes[0] if pair else axes
        if self.draw_sets is not None:
            self.draw_sets(ax_orbit)
        projected = np.array([self.project_a(point) for point in orbit])  # P_A takes one point
        ax_orbit.plot(projected[:, 0], projected[:, 1], ".", color="C3", ms=4,
                      alpha=0.6, label="$P_A(x_t)$", zorder=4)
        plotting.plot_orbit(orbit, ax=ax_orbit, color="k", label="iterates $x_t$")
        if result.converged:
            ax_orbit.plot(*result.solution, "*", color="C3", ms=16, mec="k",
                          label="solution $P_A(x)$", zorder=6)
        else:
            ax_orbit.plot(*result.solution, "X", color="0.5", ms=11, mec="k",
                          label="$P_A(x)$, not a solution", zorder=6)
        outcome = (f"converged in {result.n_iter}" if result.converged
                   else f"not converged after {result.n_iter}")
        ax_orbit.set_title(f"{self.title}, β = {beta:.2f}: {outcome}")
        ax_orbit.set_xlabel("$x_1$")
        ax_orbit.set_ylabel("$x_2$")
        ax_orbit.set_aspect("equal")
        if self.xlim is not None:
            ax_orbit.set_xlim(*self.xlim)
        if self.ylim is not None:
            ax_orbit.set_ylim(*self.ylim)
        ax_orbit.legend(loc="best", framealpha=0.9)
        if pair and len(axes) > 1:
            ax_error = axes[1]
            plotting.plot_errors(result.errors, ax=ax_error, color="k")
            ax_error.set_title("error $\\|P_B(2P_A(x)-x) - P_A(x)\\|$")
            ax_error.grid(True, which="major", alpha=0.3)
        self.result, self.orbit = result, orbit
        return axes

    def update(self):
        """Rerun with the sliders' values and redraw the image."""
        axes = self._new_figure()
        self.draw(axes=axes)
        self.figure.tight_layout()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi, metadata={"Software": None})
        self.image.value = buffer.getvalue()

    def _new_figure(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=self.figsize)
        FigureCanvasAgg(self.figure)
        return tuple(self.figure.subplots(1, 2, width_ratios=(1.2, 1.0)))

    def _on_change(self, change):
        self.update()

    def __repr__(self) -> str:
        low, high = self.beta_slider.min, self.beta_slider.max
        return (f"RRRExplorer(beta={self.beta:.2f} in [{low:g}, {high:g}], "
                f"iterations={self.max_iter}; move the sliders in a live kernel)")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle
