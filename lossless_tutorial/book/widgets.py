"""Interactive explorers used by the book (ipywidgets).

The explorers need a live Python kernel (Binder or a local Jupyter): in the rendered,
static book their sliders cannot rerun anything, so every chapter that shows an
explorer also shows a static figure of its default state, drawn by the explorer's own
``draw`` method.

Each explorer draws with matplotlib's Agg renderer into an ``ipywidgets.Image``. It
never prints or displays figures itself, so a notebook cell that shows an explorer has
one output, the widget, whose plain-text form is a fixed one-line description. (Figures
displayed from inside an ``Output`` widget would reach a notebook tester as extra cell
outputs.) The mathematics is always the package's: the explorers call its projections
and never compute a nearest point themselves.

- :class:`RRRExplorer` (chapter 1): RRR on a problem in the plane, with a slider for
  beta;
- :class:`BilinearExplorer` (chapter 2): the bilinear projection onto
  ``x w = Omega y`` for a neuron with one input;
- :class:`ActivationExplorer` (chapter 2): the step and zigmoid activation sets, with
  a slider for their gap;
- :class:`ClassMarginExplorer` (chapter 4): the margin and weight-norm constraints of
  the class nodes of a two-class classifier.
"""

from __future__ import annotations

import io
import numbers
from typing import Callable

import numpy as np

from .._validation import as_float_array, check_nonnegative_int, check_positive
from ..rrr import RRRResult, alternating_projections, rrr

__all__ = [
    "record_orbit",
    "RRRExplorer",
    "BilinearExplorer",
    "ActivationExplorer",
    "ClassMarginExplorer",
]

_METHODS = {"rrr": rrr, "ap": alternating_projections}


def record_orbit(
    x0, project_a, project_b, *, method="rrr", beta=1.0, max_iter=100, tol=1e-10
) -> tuple[RRRResult, np.ndarray]:
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
    """RRR on a problem in the plane, with a slider for beta (and one for iterations).

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

    def __init__(
        self,
        project_a: Callable,
        project_b: Callable,
        x0,
        *,
        draw_sets: Callable | None = None,
        beta=0.5,
        beta_range=(0.05, 2.0),
        beta_step=0.05,
        max_iter=100,
        max_iter_limit=None,
        tol=1e-10,
        xlim=None,
        ylim=None,
        title="RRR",
        figsize=(8.0, 3.6),
        dpi=80,
    ):
        import ipywidgets

        self.x0 = as_float_array("x0", x0, ndim=1)
        if self.x0.shape != (2,):
            raise ValueError(
                f"x0 must be a point of the plane (shape (2,)), got shape "
                f"{self.x0.shape}"
            )
        low, high = (check_positive("beta_range", float(v)) for v in beta_range)
        if not low < high:
            raise ValueError(
                f"beta_range must be (low, high) with 0 < low < high, "
                f"got {beta_range!r}"
            )
        beta = check_positive("beta", beta)
        if not low <= beta <= high:
            raise ValueError(
                f"beta must lie in beta_range {beta_range!r}, got {beta!r}"
            )
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
            value=beta,
            min=low,
            max=high,
            step=beta_step,
            description="β",
            continuous_update=False,
            readout_format=".2f",
        )
        self.iterations_slider = ipywidgets.IntSlider(
            value=max_iter,
            min=1,
            max=limit,
            step=1,
            description="iterations",
            continuous_update=False,
        )
        self.image = ipywidgets.Image(
            format="png", layout=ipywidgets.Layout(width="100%")
        )
        self.widget = ipywidgets.VBox(
            [ipywidgets.HBox([self.beta_slider, self.iterations_slider]), self.image]
        )
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
        """Run RRR from ``x0`` (default: the sliders' values); returns the result and
        the orbit."""
        beta = self.beta if beta is None else beta
        max_iter = self.max_iter if max_iter is None else max_iter
        self.n_runs += 1
        return record_orbit(
            self.x0,
            self.project_a,
            self.project_b,
            beta=beta,
            max_iter=max_iter,
            tol=self.tol,
        )

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
        # P_A takes one point at a time
        projected = np.array([self.project_a(point) for point in orbit])
        ax_orbit.plot(
            projected[:, 0],
            projected[:, 1],
            ".",
            color="C3",
            ms=4,
            alpha=0.6,
            label="$P_A(x_t)$",
            zorder=4,
        )
        plotting.plot_orbit(orbit, ax=ax_orbit, color="k", label="iterates $x_t$")
        if result.converged:
            ax_orbit.plot(
                *result.solution,
                "*",
                color="C3",
                ms=16,
                mec="k",
                label="solution $P_A(x)$",
                zorder=6,
            )
        else:
            ax_orbit.plot(
                *result.solution,
                "X",
                color="0.5",
                ms=11,
                mec="k",
                label="$P_A(x)$, not a solution",
                zorder=6,
            )
        outcome = (
            f"converged in {result.n_iter}"
            if result.converged
            else f"not converged after {result.n_iter}"
        )
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
        self.image.value = _png(self.figure, self.dpi)

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
        return (
            f"RRRExplorer(beta={self.beta:.2f} in [{low:g}, {high:g}], "
            f"iterations={self.max_iter}; move the sliders in a live kernel)"
        )

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle


# --------------------------------------------------------------------------------------
# The explorers of single constraints (chapters 2 and 4): common machinery
# --------------------------------------------------------------------------------------


def _png(figure, dpi) -> bytes:
    """The figure as PNG bytes (no software tag, so equal drawings give equal bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _check_real(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _check_range(name, value_range, *, positive=False) -> tuple[float, float]:
    """A slider's range ``(low, high)`` with ``low < high`` (and ``low > 0`` if
    ``positive``)."""
    try:
        low, high = value_range
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high), got {value_range!r}"
        ) from None
    low, high = _check_real(name, low), _check_real(name, high)
    if not low < high or (positive and low <= 0):
        bound = "0 < low < high" if positive else "low < high"
        raise ValueError(
            f"{name} must be (low, high) with {bound}, got {value_range!r}"
        )
    return low, high


def _float_slider(name, value, value_range, step, description, *, positive=False):
    """A FloatSlider for the explorer argument ``name``, after checking that ``value``
    lies in ``value_range`` (the argument ``name + "_range"``)."""
    import ipywidgets

    low, high = _check_range(f"{name}_range", value_range, positive=positive)
    value = _check_real(name, value)
    if not low <= value <= high:
        raise ValueError(
            f"{name} must lie in {name}_range {tuple(value_range)!r}, got {value!r}"
        )
    step = check_positive("step", step)
    return ipywidgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".2f",
    )


class _SliderExplorer:
    """Sliders, a drawing of several panels rendered with Agg, and the widget.

    Subclasses set ``_n_panels``, build ``self.controls`` (name -> widget) and call
    :meth:`_build`; they implement ``draw(*, axes=None, **values)``.
    """

    _n_panels = 1

    def _build(self, controls, *, figsize, dpi):
        import ipywidgets

        self.figsize = tuple(check_positive("figsize", float(v)) for v in figsize)
        if len(self.figsize) != 2:
            raise ValueError(f"figsize must be (width, height), got {figsize!r}")
        self.dpi = check_positive("dpi", dpi)
        self.controls = dict(controls)
        self.figure = None
        self.n_draws = 0
        self.image = ipywidgets.Image(
            format="png", layout=ipywidgets.Layout(width="100%")
        )
        widgets = list(self.controls.values())
        rows = [ipywidgets.HBox(widgets[i : i + 2]) for i in range(0, len(widgets), 2)]
        self.widget = ipywidgets.VBox(rows + [self.image])
        for control in widgets:
            control.observe(self._on_change, names="value")
        self.update()

    @property
    def values(self) -> dict:
        """The controls' current values, by the names of the constructor's arguments."""
        return {name: control.value for name, control in self.controls.items()}

    def _values(self, overrides) -> dict:
        """The controls' values, some replaced by ``overrides`` (checked by name)."""
        values = self.values
        for name, value in overrides.items():
            if name not in values:
                raise ValueError(
                    f"{name} is not a setting of {type(self).__name__}; "
                    f"the settings are {', '.join(values)}"
                )
            values[name] = value
        return values

    def _axes_list(self, axes):
        if axes is None:
            axes = self._new_figure()
        listed = (
            list(np.ravel(axes))
            if isinstance(axes, (list, tuple, np.ndarray))
            else [axes]
        )
        if len(listed) != self._n_panels:
            raise ValueError(
                f"axes must hold {self._n_panels} Axes for "
                f"{type(self).__name__}, got {len(listed)}"
            )
        return axes, listed

    def _new_figure(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=self.figsize)
        FigureCanvasAgg(self.figure)
        axes = self.figure.subplots(1, self._n_panels, squeeze=False)
        return tuple(axes.flat)

    def update(self):
        """Redraw with the controls' values into :attr:`image`."""
        self.draw(axes=self._new_figure())
        self.figure.tight_layout()
        self.image.value = _png(self.figure, self.dpi)

    def _on_change(self, change):
        self.update()

    def __repr__(self) -> str:
        short = {"omega": "Ω", "delta": "Δ", "gap": "Δ"}
        settings = ", ".join(
            f"{short.get(name, name)}={value:.2f}"
            if isinstance(value, float)
            else f"{short.get(name, name)}={value}"
            for name, value in self.values.items()
        )
        return f"{type(self).__name__}({settings}; needs a live kernel)"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle


def _mark_projection(ax, point, nearest, *, color="C3"):
    """The point (open circle), its nearest point (filled dot, labelled "nearest
    point") and the segment between them."""
    ax.plot(*np.stack([point, nearest]).T, "-", color="0.35", lw=1.2, zorder=4)
    ax.plot(*point, "o", mfc="white", mec="k", ms=8, mew=1.5, label="point", zorder=5)
    ax.plot(*nearest, "o", color=color, mec="k", ms=8, label="nearest point", zorder=6)


# --------------------------------------------------------------------------------------
# Chapter 2: the bilinear projection of a neuron with one input
# --------------------------------------------------------------------------------------


class BilinearExplorer(_SliderExplorer):
    """The bilinear projection onto ``x w = Omega y`` for a neuron with one input.

    The neuron has one input ``x``, one weight ``w`` and its pre-activation ``y``, held
    fixed (the metric weight ``g2`` is infinite, as in chapter 2's figure of this set).
    Four sliders set ``x``, ``w``, ``Omega`` and ``y``. Two panels show

    - the ``(x, w)`` plane: the constraint set ``{x w = Omega y}`` (a hyperbola; the two
      coordinate axes when ``Omega y = 0``), its axes of symmetry ``x = w`` and
      ``x = -w``, the point ``(x, w)``, its nearest point on the set computed by
      :func:`~lossless_tutorial.projections.project_bilinear`, the segment between them,
      and the distance in the title;
    - the multiplier function ``h0(u)`` of the paper's eq. (52) and its root, the
      multiplier of the projection
      (:func:`~lossless_tutorial.book.plotting.plot_bilinear_multiplier`).

    Parameters
    ----------
    x, w, omega, y : float
        Initial values of the sliders.
    x_range, w_range, omega_range, y_range : (float, float)
        The sliders' ranges (``omega_range`` must be positive).
    step : float
        The sliders' step.
    limit : float
        The ``(x, w)`` panel shows ``[-limit, limit]`` in both directions.
    h0_ylim : (float, float)
        Vertical range of the ``h0`` panel.
    figsize, dpi
        Size (inches) and resolution of the drawing.

    Attributes
    ----------
    controls : dict
        The sliders by name (``"x"``, ``"w"``, ``"omega"``, ``"y"``).
    nearest : numpy.ndarray
        The last drawn nearest point ``(x', w')``.
    distance : float
        Its distance from ``(x, w)``.
    multiplier : float
        The multiplier ``u0`` of the projection.
    image, widget, figure, n_draws
        The PNG image, the widget to display, the last figure and the number of
        drawings.
    """

    _n_panels = 2

    def __init__(
        self,
        *,
        x=1.5,
        w=-0.5,
        omega=1.0,
        y=1.0,
        x_range=(-2.5, 2.5),
        w_range=(-2.5, 2.5),
        omega_range=(0.25, 3.0),
        y_range=(-2.0, 2.0),
        step=0.05,
        limit=3.0,
        h0_ylim=(-10.0, 10.0),
        figsize=(8.0, 3.8),
        dpi=80,
    ):
        self.limit = check_positive("limit", limit)
        self.h0_ylim = _check_range("h0_ylim", h0_ylim)
        controls = {
            "x": _float_slider("x", x, x_range, step, "input x"),
            "w": _float_slider("w", w, w_range, step, "weight w"),
            "omega": _float_slider(
                "omega", omega, omega_range, step, "Ω", positive=True
            ),
            "y": _float_slider("y", y, y_range, step, "y (fixed)"),
        }
        self.nearest = self.distance = self.multiplier = None
        self._build(controls, figsize=figsize, dpi=dpi)

    def project(self, x, w, omega, y):
        """The package's projection of ``(x, w)`` onto ``x w = omega y`` (``y``
        fixed): returns the nearest point ``(x', w')`` and the multiplier ``u0``."""
        from ..projections import project_bilinear

        x_new, w_new, _, u0 = project_bilinear(
            [float(x)], [float(w)], float(y), omega=float(omega), return_multiplier=True
        )
        return np.array([x_new[0], w_new[0]]), float(u0)

    def _draw_set(self, ax, target):
        limit = self.limit
        ax.plot(
            [-limit, limit], [-limit, limit], "--", color="0.6", lw=1, label="$x = w$"
        )
        ax.plot(
            [-limit, limit], [limit, -limit], ":", color="0.6", lw=1.2, label="$x = -w$"
        )
        label = f"$x\\,w = \\Omega y = {target:.2f}$"
        if target == 0.0:
            ax.plot([-limit, limit], [0.0, 0.0], color="C0", lw=2.5, label=label)
            ax.plot([0.0, 0.0], [-limit, limit], color="C0", lw=2.5)
            return
        # the branch x > 0 and its mirror image, where |w| = |target / x| <= limit
        start = abs(target) / limit
        if start >= limit:
            ax.plot([], [], color="C0", lw=2.5, label=label)
            return
        branch = np.geomspace(start, limit, 400)
        for sign in (1.0, -1.0):
            ax.plot(
                sign * branch,
                target / (sign * branch),
                color="C0",
                lw=2.5,
                label=label if sign > 0 else None,
            )

    def draw(self, *, axes=None, **values):
        """Draw the two panels for the sliders' values (or the given ``x``, ``w``,
        ``omega``, ``y``); ``axes`` is a pair of Axes (default: a new figure,
        :attr:`figure`). Returns the axes."""
        from . import plotting

        values = self._values(values)
        x, w, omega, y = (
            _check_real(name, values[name]) for name in ("x", "w", "omega", "y")
        )
        omega = check_positive("omega", omega)
        axes, (ax_set, ax_h0) = self._axes_list(axes)
        nearest, u0 = self.project(x, w, omega, y)
        distance = float(np.hypot(*(nearest - (x, w))))
        self._draw_set(ax_set, omega * y)
        _mark_projection(ax_set, np.array([x, w]), nearest)
        ax_set.set(
            xlim=(-self.limit, self.limit),
            ylim=(-self.limit, self.limit),
            xlabel="$x$",
            ylabel="$w$",
            aspect="equal",
            title=f"nearest point ({nearest[0]:.2f}, {nearest[1]:.2f}),\n"
            f"distance {distance:.3f}",
        )
        ax_set.legend(loc="lower left", fontsize=8, framealpha=0.9)
        plotting.plot_bilinear_multiplier(
            np.array([x]),
            np.array([w]),
            y,
            omega=omega,
            ax=ax_h0,
            ylim=self.h0_ylim,
            color="C0",
        )
        ax_h0.set_title(f"$h_0(u)$ and its root $u_0 = {u0:+.3f}$")
        ax_h0.set_xticks([-1.0, -0.5, 0.0, 0.5, 1.0])  # the default ticks collide
        self.nearest, self.distance, self.multiplier = nearest, distance, u0
        self.n_draws += 1
        return axes


# --------------------------------------------------------------------------------------
# Chapter 2: activation sets with a gap
# --------------------------------------------------------------------------------------

_GAP_ACTIVATIONS = ("relu", "step", "zigmoid")
_ACTIVATION_TITLES = {"relu": "ReLU", "step": "step", "zigmoid": "zigmoid"}


class ActivationExplorer(_SliderExplorer):
    """Activation constraint sets with a gap, a point and its projection.

    One neuron's activation constraint ``x = f(z)`` with ``z = y - b`` (after its
    out-edge copies of ``x`` are averaged, the metric is ``dx^2 + dy^2 + db^2``) is
    drawn in the plane ``(z / sqrt 2, x)``, where that metric is Euclidean, for each
    activation of ``activations`` ("step": the step with a gap, "zigmoid", or "relu",
    which has no gap). Sliders set the full gap width ``gap`` (the paper's Delta) and
    the point's ``z`` and ``x``; the point has ``y = z/2`` and ``b = -z/2`` (the
    projections never change ``y + b``). Each panel shows the set, the plane shaded by
    the branch that each point is sent to
    (:func:`~lossless_tutorial.book.plotting.plot_activation_regions`), the point, its
    nearest point on the set computed by the package's projection
    (:func:`~lossless_tutorial.projections.project_step_gap`,
    :func:`~lossless_tutorial.projections.project_zigmoid` or
    :func:`~lossless_tutorial.projections.project_relu`), and the distance. Widening the
    gap moves the branch ends apart, and with them the projection of a point in or
    near the gap.

    Parameters
    ----------
    activations : sequence of str
        One panel per activation, in rows of at most three.
    gap, z, x : float
        Initial values of the sliders.
    gap_range, z_range, x_range : (float, float)
        The sliders' ranges; ``gap_range`` must be positive if a zigmoid is shown
        (its gap must be > 0) and nonnegative otherwise.
    step : float
        The sliders' step.
    plot_z_range, plot_x_range : (float, float)
        The part of the ``(z, x)`` plane drawn.
    resolution : int
        Grid points per direction of the shading.
    figsize, dpi
        Size (inches) and resolution of the drawing.

    Attributes
    ----------
    controls : dict
        The sliders by name (``"gap"``, ``"z"``, ``"x"``).
    projections : dict
        For each activation, the last drawn nearest point ``(x', y', b')``.
    distances : dict
        For each activation, its distance from ``(x, y, b)``.
    image, widget, figure, n_draws
        The PNG image, the widget to display, the last figure and the number of
        drawings.
    """

    def __init__(
        self,
        activations=("step", "zigmoid"),
        *,
        gap=1.0,
        z=0.1,
        x=0.45,
        gap_range=(0.05, 2.0),
        z_range=(-2.0, 2.0),
        x_range=(-0.8, 1.8),
        step=0.05,
        plot_z_range=(-2.0, 2.0),
        plot_x_range=(-1.0, 2.0),
        resolution=200,
        figsize=(8.0, 3.8),
        dpi=80,
    ):
        if isinstance(activations, str):
            activations = (activations,)
        activations = tuple(activations)
        if (
            not activations
            or len(activations) > 3
            or any(a not in _GAP_ACTIVATIONS for a in activations)
        ):
            raise ValueError(
                f"activations must be one to three of 'relu', 'step' and "
                f"'zigmoid', got {activations!r}"
            )
        self.activations = activations
        self._n_panels = len(activations)
        low, _ = _check_range("gap_range", gap_range)
        if low < 0 or ("zigmoid" in activations and low <= 0):
            bound = (
                "> 0 (a zigmoid needs a gap)" if "zigmoid" in activations else ">= 0"
            )
            raise ValueError(f"gap_range must start {bound}, got {gap_range!r}")
        self.plot_z_range = _check_range("plot_z_range", plot_z_range)
        self.plot_x_range = _check_range("plot_x_range", plot_x_range)
        self.resolution = check_nonnegative_int("resolution", resolution, minimum=2)
        controls = {
            "gap": _float_slider("gap", gap, gap_range, step, "gap Δ"),
            "z": _float_slider("z", z, z_range, step, "z = y − b"),
            "x": _float_slider("x", x, x_range, step, "x"),
        }
        self.projections, self.distances = {}, {}
        self._build(controls, figsize=figsize, dpi=dpi)

    def project(self, activation, x, z, gap):
        """The package's projection of the point ``(x, y, b) = (x, z/2, -z/2)`` onto
        the set of ``activation`` with full gap width ``gap``; returns
        ``(x', y', b')``."""
        from .. import projections

        y, b = 0.5 * float(z), -0.5 * float(z)
        if activation == "relu":
            result = projections.project_relu(x, y, b)
        elif activation == "step":
            result = projections.project_step_gap(x, y, b, gap=gap)
        elif activation == "zigmoid":
            result = projections.project_zigmoid(x, y, b, gap=gap)
        else:
            raise ValueError(
                f"activation must be 'relu', 'step' or 'zigmoid', got {activation!r}"
            )
        return np.array([float(v) for v in result])

    def draw(self, *, axes=None, **values):
        """Draw one panel per activation for the sliders' values (or the given
        ``gap``, ``z``, ``x``); ``axes`` holds one Axes per activation (default: a new
        figure, :attr:`figure`). Returns the axes."""
        from . import plotting

        values = self._values(values)
        gap, z, x = (_check_real(name, values[name]) for name in ("gap", "z", "x"))
        axes, listed = self._axes_list(axes)
        scale = 1.0 / np.sqrt(2.0)
        for ax, activation in zip(listed, self.activations):
            gap_here = gap if activation != "relu" else 0.0
            x_new, y_new, b_new = self.project(activation, x, z, gap_here)
            distance = float(
                np.sqrt(
                    (x_new - x) ** 2 + (y_new - 0.5 * z) ** 2 + (b_new + 0.5 * z) ** 2
                )
            )
            plotting.plot_activation_regions(
                activation,
                gap=gap_here,
                z_range=self.plot_z_range,
                x_range=self.plot_x_range,
                resolution=self.resolution,
                ax=ax,
            )
            plotting.plot_activation_set(
                activation, gap=gap_here, z_range=self.plot_z_range, ax=ax
            )
            _mark_projection(
                ax,
                np.array([scale * z, x]),
                np.array([scale * (y_new - b_new), x_new]),
                color="k",
            )
            ax.set_xlim(scale * self.plot_z_range[0], scale * self.plot_z_range[1])
            ax.set_ylim(*self.plot_x_range)
            name = _ACTIVATION_TITLES[activation]
            if activation != "relu":
                name += f", $\\Delta = {gap:.2f}$"
            ax.set_title(f"{name}\ndistance {distance:.3f}")
            ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
            self.projections[activation] = np.array([x_new, y_new, b_new])
            self.distances[activation] = distance
        self.n_draws += 1
        return axes


# --------------------------------------------------------------------------------------
# Chapter 4: the class nodes of a two-class classifier (margin and weight norm)
# --------------------------------------------------------------------------------------


class ClassMarginExplorer(_SliderExplorer):
    """The class-node constraints of a two-class classifier: margin and weight norm.

    Two class nodes (0 and 1) read the same two inputs ``x = (x1, x2)`` (the values of
    two hidden nodes) through incoming weights ``weights`` (one row per class node)
    and have biases ``biases``. The projection onto ``A`` puts each node's incoming
    weights on the sphere of radius ``Omega``
    (:func:`~lossless_tutorial.projections.project_norm`); with those weights the
    nodes' outputs are ``z_j = y_j - b_j``, ``y_j = x . w_j / Omega``, and the margin
    constraints of an item of class ``c`` ask ``z_c >= Delta`` and ``z_j <= 0`` for the
    other node. :func:`~lossless_tutorial.projections.project_class_margin` moves
    ``y`` and ``b`` of the violated nodes, equally and oppositely, to the boundary.
    Sliders set the margin ``Delta``, the weight norm ``Omega`` and the inputs; a toggle
    sets the class. Two panels show

    - the outputs ``(z_0, z_1)``: the margin set of the class (shaded), the decision
      line ``z_0 = z_1``, the outputs, their nearest point in the margin set, and the
      squared distance (:func:`~lossless_tutorial.projections.class_margin_distance`);
    - the incoming weights of both nodes: the circle of radius ``Omega``, the given
      weights and their projections onto it.

    ``Omega`` moves the weights but not the outputs: ``y = x . w / Omega`` with
    ``|w| = Omega`` does not depend on it. It changes only how far the weights are from
    the sphere, that is, the metric.

    Parameters
    ----------
    weights : array of shape (2, 2)
        Row ``j``: the incoming weights of class node ``j`` before the norm projection
        (no row may be zero).
    biases : array of shape (2,)
        The biases ``b`` of the two class nodes.
    label : int
        Initial class (0 or 1).
    delta, omega, x1, x2 : float
        Initial values of the sliders.
    delta_range, omega_range, x1_range, x2_range : (float, float)
        The sliders' ranges (``delta_range`` nonnegative, ``omega_range`` positive).
    step : float
        The sliders' step.
    limit : float
        The panels show ``[-limit, limit]`` in both directions.
    figsize, dpi
        Size (inches) and resolution of the drawing.

    Attributes
    ----------
    controls : dict
        The sliders by name (``"delta"``, ``"omega"``, ``"x1"``, ``"x2"``) and the
        class toggle (``"label"``).
    outputs, nearest : numpy.ndarray
        The last drawn outputs ``(z_0, z_1)`` and their nearest point ``(z_0', z_1')``.
    y_new, b_new : numpy.ndarray
        The projected ``y`` and ``b`` of the two nodes.
    distance2 : float
        The squared distance of the projection (metric 1 on ``y`` and ``b``).
    projected_weights : numpy.ndarray
        The weights on the sphere, one row per node.
    image, widget, figure, n_draws
        The PNG image, the widget to display, the last figure and the number of
        drawings.
    """

    _n_panels = 2

    def __init__(
        self,
        weights=((0.9, -0.5), (-0.3, 1.1)),
        biases=(0.0, 0.0),
        *,
        label=1,
        delta=0.5,
        omega=2.0,
        x1=1.2,
        x2=0.5,
        delta_range=(0.0, 1.0),
        omega_range=(0.5, 4.0),
        x1_range=(0.0, 2.0),
        x2_range=(0.0, 2.0),
        step=0.05,
        limit=2.5,
        figsize=(8.0, 3.8),
        dpi=80,
    ):
        import ipywidgets

        self.weights = as_float_array("weights", weights, ndim=2)
        if self.weights.shape != (2, 2) or np.any(
            np.linalg.norm(self.weights, axis=1) == 0
        ):
            raise ValueError(
                f"weights must be a (2, 2) array with no zero row, got "
                f"{self.weights.tolist()!r}"
            )
        self.biases = as_float_array("biases", biases, ndim=1)
        if self.biases.shape != (2,):
            raise ValueError(f"biases must have shape (2,), got {self.biases.shape}")
        if isinstance(label, bool) or label not in (0, 1):
            raise ValueError(f"label must be 0 or 1, got {label!r}")
        low, _ = _check_range("delta_range", delta_range)
        if low < 0:
            raise ValueError(f"delta_range must start >= 0, got {delta_range!r}")
        self.limit = check_positive("limit", limit)
        controls = {
            "delta": _float_slider("delta", delta, delta_range, step, "margin Δ"),
            "omega": _float_slider(
                "omega", omega, omega_range, step, "norm Ω", positive=True
            ),
            "x1": _float_slider("x1", x1, x1_range, step, "input x1"),
            "x2": _float_slider("x2", x2, x2_range, step, "input x2"),
            "label": ipywidgets.ToggleButtons(
                options=[("class 0", 0), ("class 1", 1)],
                value=int(label),
                description="item of",
            ),
        }
        self.outputs = self.nearest = self.y_new = self.b_new = None
        self.distance2 = self.projected_weights = None
        self._build(controls, figsize=figsize, dpi=dpi)

    def project(self, delta, omega, x1, x2, label):
        """The package's projections for these settings.

        Returns ``(w, y, y_new, b_new, d2)``: the weights projected to norm ``omega``
        (rows), the outputs' ``y = x . w / omega``, the projected ``y`` and ``b`` of the
        two class nodes and the squared distance of the margin projection.
        """
        from ..projections import (
            class_margin_distance,
            project_class_margin,
            project_norm,
        )

        if isinstance(label, bool) or label not in (0, 1):
            raise ValueError(f"label must be 0 or 1, got {label!r}")
        w = project_norm(self.weights, omega=omega, axis=-1)
        y = w @ np.array([x1, x2], dtype=float) / omega
        y_new, b_new = project_class_margin(
            y[None], self.biases[None], [label], delta=delta
        )
        d2 = class_margin_distance(y[None], self.biases[None], [label], delta=delta)
        return w, y, y_new[0], b_new[0], float(d2[0])

    def draw(self, *, axes=None, **values):
        """Draw the two panels for the controls' values (or the given ``delta``,
        ``omega``, ``x1``, ``x2``, ``label``); ``axes`` is a pair of Axes (default: a
        new figure, :attr:`figure`). Returns the axes."""
        from matplotlib.patches import Rectangle

        from . import plotting

        values = self._values(values)
        delta = check_positive("delta", values["delta"], allow_zero=True)
        omega = check_positive("omega", values["omega"])
        x1, x2 = _check_real("x1", values["x1"]), _check_real("x2", values["x2"])
        label = values["label"]
        axes, (ax_z, ax_w) = self._axes_list(axes)
        w, y, y_new, b_new, d2 = self.project(delta, omega, x1, x2, label)
        outputs, nearest = y - self.biases, y_new - b_new
        limit = self.limit
        # the margin set of the class: z_label >= delta, z_other <= 0
        corner = [-limit, delta] if label == 1 else [delta, -limit]
        size = (limit, limit - delta) if label == 1 else (limit - delta, limit)
        ax_z.add_patch(
            Rectangle(
                corner,
                *size,
                color="C2",
                alpha=0.25,
                lw=0,
                label=f"margin set of class {label}",
            )
        )
        ax_z.plot(
            [-limit, limit],
            [-limit, limit],
            "--",
            color="0.5",
            lw=1,
            label="$z_0 = z_1$",
        )
        _mark_projection(ax_z, outputs, nearest)
        predicted = int(np.argmax(outputs))
        ax_z.set(
            xlim=(-limit, limit),
            ylim=(-limit, limit),
            aspect="equal",
            xlabel="$z_0 = y_0 - b_0$",
            ylabel="$z_1 = y_1 - b_1$",
            title=f"class {label}, predicted {predicted}:\nsquared distance {d2:.3f}",
        )
        ax_z.legend(loc="lower left", fontsize=8, framealpha=0.9)
        plotting.plot_circle(
            [0.0, 0.0],
            omega,
            ax=ax_w,
            color="C0",
            lw=2,
            label=f"$|w| = \\Omega = {omega:.2f}$",
        )
        for j in (0, 1):
            ax_w.plot(*np.stack([self.weights[j], w[j]]).T, "-", color="0.35", lw=1)
            ax_w.plot(
                *self.weights[j],
                "s",
                mfc="white",
                mec="k",
                ms=7,
                label="given weights" if j == 0 else None,
            )
            ax_w.plot(
                *w[j],
                "s",
                color="C3",
                mec="k",
                ms=7,
                label="on the sphere" if j == 0 else None,
            )
            ax_w.annotate(f"$w_{j}$", w[j], xytext=(6, 6), textcoords="offset points")
        ax_w.set(
            xlim=(-4.2, 4.2),
            ylim=(-4.2, 4.2),
            aspect="equal",
            xlabel="weight from $x_1$",
            ylabel="weight from $x_2$",
            title="incoming weights of the class nodes",
        )
        ax_w.legend(loc="lower left", fontsize=8, framealpha=0.9)
        self.outputs, self.nearest, self.y_new, self.b_new = (
            outputs,
            nearest,
            y_new,
            b_new,
        )
        self.distance2, self.projected_weights = d2, w
        self.n_draws += 1
        return axes
