"""The book's recurring figures. Each function draws on a matplotlib Axes and returns
it."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_nonnegative_int, check_positive

__all__ = [
    "plot_errors",
    # chapter 1: toy sets and orbits
    "plot_line",
    "plot_circle",
    "plot_point_set",
    "plot_orbit",
    # chapter 2: the constraints of one neuron
    "plot_bilinear_multiplier",
    "plot_activation_set",
    "plot_projection_segments",
    "plot_activation_regions",
    "plot_activation_projections",
    # chapter 3: NMF
    "image_mosaic",
    "plot_image_grid",
    "plot_error_histograms",
]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def plot_errors(errors, *, ax=None, label=None, **style):
    """RRR error against iteration on a log scale (the paper's Figs. 4, 6, 19)."""
    ax = _axes(ax)
    errors = np.asarray(errors, dtype=float)
    ax.semilogy(np.arange(1, errors.size + 1), errors, label=label, **style)
    ax.set_xlabel("iteration")
    ax.set_ylabel("RRR error")
    return ax


# --------------------------------------------------------------------------------------
# Chapter 2: the constraints of one neuron (bilinear multiplier, activation sets)
# --------------------------------------------------------------------------------------

_ACTIVATIONS = ("relu", "step", "zigmoid")
_BRANCH_NAMES = {
    "relu": ("off: $x = 0$", "on: $x = z$"),
    "step": ("$x = 0$", "$x = 1$"),
    "zigmoid": ("$x = 0$", "ramp", "$x = 1$"),
}


def _check_activation(activation, gap):
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be 'relu', 'step' or 'zigmoid', got {activation!r}"
        )
    return check_positive("gap", gap, allow_zero=activation != "zigmoid")


def _zscale(isotropic):
    return 1.0 / np.sqrt(2.0) if isotropic else 1.0


def _zlabel(isotropic):
    return r"$z/\sqrt{2}$,  $z = y - b$" if isotropic else r"$z = y - b$"


def _activation_branches(activation, *, gap=0.0, z_range=(-2.0, 2.0)):
    """The pieces of an activation constraint set in the (z, x) plane, clipped to
    ``z_range``.

    ``activation`` is ``"relu"``, ``"step"`` or ``"zigmoid"``; ``gap`` is the full gap
    width (the paper's Delta) of the step and the zigmoid. Returns a list of arrays of
    shape (m, 2), one per branch in the order used by ``_branch_index``,
    whose rows are the (z, x) vertices of a polyline.
    """
    gap = _check_activation(activation, gap)
    lo, hi = (float(v) for v in z_range)
    half = 0.5 * gap
    if activation == "relu":
        return [np.array([[lo, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [hi, hi]])]
    flat0 = np.array([[lo, 0.0], [-half, 0.0]])
    flat1 = np.array([[half, 1.0], [hi, 1.0]])
    if activation == "step":
        return [flat0, flat1]
    return [flat0, np.array([[-half, 0.0], [half, 1.0]]), flat1]


def _branch_index(activation, x_new):
    """Which branch of ``_activation_branches`` each projected value ``x_new`` lies on.

    ReLU: 0 (off, including the kink) or 1 (on); step: 0 or 1; zigmoid: 0 (flat at 0),
    1 (the open ramp) or 2 (flat at 1).
    """
    _check_activation(activation, 1.0)
    x_new = np.asarray(x_new, dtype=float)
    if activation == "relu":
        return (x_new > 0).astype(int)
    if activation == "step":
        return (x_new >= 0.5).astype(int)
    return np.where(x_new <= 0, 0, np.where(x_new >= 1, 2, 1))


def _project_activation(activation, x, y, b, gap):
    from .. import projections

    if activation == "relu":
        return projections.project_relu(x, y, b)
    if activation == "step":
        return projections.project_step_gap(x, y, b, gap=gap)
    return projections.project_zigmoid(x, y, b, gap=gap)


def plot_activation_set(
    activation,
    *,
    gap=0.0,
    z_range=(-2.0, 2.0),
    isotropic=True,
    ax=None,
    colors=None,
    linewidth=3,
    **style,
):
    """Draw an activation constraint set as a graph in the (z, x) plane (Figs. 2, 17).

    One line per branch (see ``_activation_branches``), each in its own color and
    labelled for a legend. With ``isotropic=True`` the horizontal coordinate is
    ``z / sqrt(2)``: in the coordinates (z/sqrt2, x) the node's metric
    ``dx^2 + dy^2 + db^2`` restricted to moves with fixed ``y + b`` is Euclidean, so
    projections are orthogonal. The aspect ratio is set to equal.
    """
    ax = _axes(ax)
    branches = _activation_branches(activation, gap=gap, z_range=z_range)
    colors = colors or [f"C{i}" for i in range(len(branches))]
    scale = _zscale(isotropic)
    for piece, color, name in zip(branches, colors, _BRANCH_NAMES[activation]):
        ax.plot(
            scale * piece[:, 0],
            piece[:, 1],
            color=color,
            linewidth=linewidth,
            solid_capstyle="round",
            label=name,
            **style,
        )
    ax.set_xlabel(_zlabel(isotropic))
    ax.set_ylabel("$x$")
    ax.set_aspect("equal")
    return ax


def plot_projection_segments(
    points,
    projections,
    *,
    ax=None,
    color="0.35",
    point_color="k",
    projection_color="C3",
    label=None,
    markersize=4,
    linewidth=0.8,
):
    """Draw points of the plane, their projections, and the segments joining them.

    ``points`` and ``projections`` have shape (n, 2) (horizontal, vertical coordinate).
    The segments form one ``LineCollection``; the points are open circles and the
    projections filled dots (two ``Line2D`` objects, in that order). ``label`` names the
    points in a legend.
    """
    from matplotlib.collections import LineCollection

    ax = _axes(ax)
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    projections = np.asarray(projections, dtype=float).reshape(-1, 2)
    if points.shape != projections.shape:
        raise ValueError(
            f"points and projections must have the same shape, got "
            f"{points.shape} and {projections.shape}"
        )
    ax.add_collection(
        LineCollection(
            np.stack([points, projections], axis=1),
            colors=color,
            linewidths=linewidth,
            zorder=2,
        )
    )
    ax.plot(
        points[:, 0],
        points[:, 1],
        "o",
        mfc="none",
        mec=point_color,
        markersize=markersize,
        label=label,
        zorder=3,
    )
    ax.plot(
        projections[:, 0],
        projections[:, 1],
        "o",
        color=projection_color,
        markersize=0.8 * markersize,
        zorder=4,
    )
    ax.autoscale_view()
    return ax


def plot_activation_regions(
    activation,
    *,
    gap=0.0,
    z_range=(-2.0, 2.0),
    x_range=(-1.0, 2.0),
    isotropic=True,
    resolution=300,
    ax=None,
    colors=None,
    alpha=0.15,
):
    """Shade the plane by the branch that the projection sends each point to.

    Every grid point (z, x) is projected (with any ``y + b``, which the projection never
    changes) by the package's activation projection, and colored like its branch. The
    borders between colors are the points with two nearest points, where the projection
    jumps. Returns the Axes; the image is ``ax.images[-1]`` with the branch indices as
    data.
    """
    from matplotlib.colors import ListedColormap

    gap = _check_activation(activation, gap)
    ax = _axes(ax)
    n_branches = len(_BRANCH_NAMES[activation])
    colors = colors or [f"C{i}" for i in range(n_branches)]
    scale = _zscale(isotropic)
    zs = np.linspace(z_range[0], z_range[1], resolution)
    xs = np.linspace(x_range[0], x_range[1], resolution)
    z, x = np.meshgrid(zs, xs)
    x_new, _, _ = _project_activation(activation, x, 0.5 * z, -0.5 * z, gap)
    index = _branch_index(activation, x_new)
    ax.imshow(
        index,
        extent=(scale * zs[0], scale * zs[-1], xs[0], xs[-1]),
        origin="lower",
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=n_branches - 0.5,
        alpha=alpha,
        interpolation="nearest",
        aspect="equal",
        zorder=0,
    )
    return ax


def plot_activation_projections(
    activation,
    x,
    y,
    b,
    *,
    gap=0.0,
    isotropic=True,
    z_range=(-2.0, 2.0),
    x_range=(-1.0, 2.0),
    regions=True,
    ax=None,
    title=None,
    legend=True,
):
    """The activation set, some points (x, y, b) and their projections, in one picture.

    Projects the points with the package's projection for ``activation`` ("relu",
    "step" or "zigmoid"; ``gap`` is the full gap width Delta), then draws the shaded
    branch regions (optional, :func:`plot_activation_regions`), the set
    (:func:`plot_activation_set`) and the points with segments to their projections
    (:func:`plot_projection_segments`) in the (z/sqrt2, x) plane, or (z, x) if not
    ``isotropic``. Returns the Axes.
    """
    gap = _check_activation(activation, gap)
    ax = _axes(ax)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    b = np.asarray(b, dtype=float)
    x_new, y_new, b_new = _project_activation(activation, x, y, b, gap)
    scale = _zscale(isotropic)
    if regions:
        plot_activation_regions(
            activation,
            gap=gap,
            z_range=z_range,
            x_range=x_range,
            isotropic=isotropic,
            ax=ax,
        )
    plot_activation_set(
        activation, gap=gap, z_range=z_range, isotropic=isotropic, ax=ax
    )
    points = np.stack(np.broadcast_arrays(scale * (y - b), x), axis=-1)
    projected = np.stack(np.broadcast_arrays(scale * (y_new - b_new), x_new), axis=-1)
    plot_projection_segments(points, projected, ax=ax, label="point $(x, y, b)$")
    ax.set_xlim(scale * z_range[0], scale * z_range[1])
    ax.set_ylim(*x_range)
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(loc="upper left", framealpha=0.9)
    return ax


def plot_bilinear_multiplier(
    x,
    w,
    y,
    *,
    omega=1.0,
    g2=np.inf,
    ax=None,
    label=None,
    ylim=None,
    n_grid=2001,
    **style,
):
    """The multiplier function h0(u) of the bilinear projection on (-1, 1), root marked.

    ``x`` and ``w`` are the incoming vectors of one neuron and ``y`` its pre-activation
    (one problem; ``g2 = inf`` keeps ``y`` fixed as for NMF data). Draws
    :func:`~lossless_tutorial.projections.bilinear_h0` (the paper's eq. 52) as a curve
    and marks the multiplier u0 returned by
    :func:`~lossless_tutorial.projections.project_bilinear` with a dot on the u-axis
    (the last ``Line2D``). h0 runs to -+infinity at u = -+1, so the vertical range is
    ``ylim``, by default the range of h0 on [-0.8, 0.8] padded by 20%. Returns the Axes.
    """
    from ..projections import bilinear_h0, project_bilinear

    ax = _axes(ax)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 1 or x.shape != w.shape:
        raise ValueError(
            f"x and w must be 1-d arrays of the same length, got shapes "
            f"{x.shape} and {w.shape}"
        )
    *_, u0 = project_bilinear(x, w, y, omega=omega, g2=g2, return_multiplier=True)
    p, q = float(x @ w), float(x @ x + w @ w)
    u = np.linspace(-1.0, 1.0, n_grid)[1:-1]
    (line,) = ax.plot(
        u, bilinear_h0(u, p, q, y, omega=omega, g2=g2), label=label, **style
    )
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    for end in (-1.0, 1.0):
        ax.axvline(end, color="0.6", linestyle=":", linewidth=0.8)
    ax.plot([float(u0)], [0.0], "o", color=line.get_color(), ms=7, mec="k")
    ax.set_xlim(-1.05, 1.05)
    if ylim is None:
        inner = np.abs(
            bilinear_h0(np.array([-0.8, 0.8]), p, q, y, omega=omega, g2=g2)
        ).max()
        ylim = (-1.2 * inner, 1.2 * inner)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$u$")
    ax.set_ylabel("$h_0(u)$")
    return ax


# --------------------------------------------------------------------------------------
# Chapter 1: projections and RRR (toy sets in the plane and in space, orbits)
# --------------------------------------------------------------------------------------


def _is_3d(ax):
    return getattr(ax, "name", "") == "3d"


def _coordinates(ax, points, name):
    """Split rows of points into the coordinate arrays an Axes plots (2 or 3 of
    them)."""
    points = np.asarray(points, dtype=float)
    dim = 3 if _is_3d(ax) else 2
    if points.ndim != 2 or points.shape[1] != dim:
        kind = "3-d" if dim == 3 else "2-d"
        raise ValueError(
            f"{name} must have shape (n, {dim}) to draw on a {kind} Axes, "
            f"got shape {points.shape}"
        )
    return [points[:, i] for i in range(dim)]


def plot_line(point, direction, *, ax=None, extent=5.0, label=None, **style):
    """Draw the line ``point + t * direction / |direction|`` for ``|t| <= extent``.

    Points of the plane on a 2-d Axes, points of space on a 3-d Axes
    (``projection="3d"``). Draws one ``Line2D`` (or 3-d line) with the two end points;
    returns the Axes.
    """
    ax = _axes(ax)
    point = np.asarray(point, dtype=float)
    direction = np.asarray(direction, dtype=float)
    if point.shape != direction.shape or not np.any(direction):
        raise ValueError(
            "direction must be a nonzero vector of the same length as point"
        )
    unit = direction / np.linalg.norm(direction)
    ends = point + np.array([-extent, extent])[:, None] * unit
    ax.plot(*_coordinates(ax, ends, "point"), label=label, **style)
    return ax


def plot_circle(center, radius, *, ax=None, label=None, n_points=361, **style):
    """Draw the circle of ``radius`` around ``center`` (a point of the plane); returns
    the Axes."""
    ax = _axes(ax)
    center = np.asarray(center, dtype=float)
    if center.shape != (2,) or not radius > 0:
        raise ValueError("center must be a point of the plane and radius > 0")
    angle = np.linspace(0.0, 2.0 * np.pi, n_points)
    ax.plot(
        center[0] + radius * np.cos(angle),
        center[1] + radius * np.sin(angle),
        label=label,
        **style,
    )
    return ax


def plot_point_set(
    points, *, ax=None, label=None, color="C0", marker="o", size=40, **style
):
    """Draw a finite set of points (rows; 2-d or 3-d like the Axes) as markers."""
    ax = _axes(ax)
    ax.scatter(
        *_coordinates(ax, points, "points"),
        color=color,
        marker=marker,
        s=size,
        label=label,
        **style,
    )
    return ax


def plot_orbit(
    orbit,
    *,
    ax=None,
    label=None,
    color="k",
    linewidth=1.0,
    markersize=3.0,
    mark_ends=True,
    **style,
):
    """Draw an orbit ``x_0, x_1, ...`` (rows) as a polyline with a dot at every iterate.

    The polyline is the first line added (its data are the orbit's coordinates); with
    ``mark_ends`` the start gets an open circle and the last iterate a filled square.
    Works on 2-d Axes (orbits in the plane) and 3-d Axes (orbits in space). Returns the
    Axes.
    """
    ax = _axes(ax)
    coords = _coordinates(ax, orbit, "orbit")
    ax.plot(
        *coords,
        "-o",
        color=color,
        linewidth=linewidth,
        markersize=markersize,
        label=label,
        **style,
    )
    if mark_ends:
        ax.plot(
            *[c[:1] for c in coords],
            "o",
            mfc="white",
            mec=color,
            ms=8,
            mew=1.5,
            label="start $x_0$" if label else None,
            zorder=5,
        )
        ax.plot(
            *[c[-1:] for c in coords],
            "s",
            color=color,
            ms=7,
            label="last iterate" if label else None,
            zorder=5,
        )
    return ax


# --------------------------------------------------------------------------------------
# Chapter 3: NMF (image grids of data and features, histograms of final errors)
# --------------------------------------------------------------------------------------


def image_mosaic(images, image_shape, *, n_cols=8, gap=1, scale="global"):
    """Tile images into one array: rows of ``n_cols`` images separated by ``gap`` pixels
    of NaN (:func:`plot_image_grid` draws them in its ``gap_color``). ``images`` is
    (n_images, prod(image_shape)) or (n_images, ``*image_shape``). ``scale="each"``
    divides every image by its own maximum (for NMF features, whose brightness is
    arbitrary); ``"global"`` leaves values as they are. Returns an array of shape (rows
    * (h + gap) - gap, n_cols' * (w + gap) - gap) with ``n_cols' = min(n_cols,
    n_images)``."""
    height, width = (
        check_nonnegative_int("image_shape", n, minimum=1) for n in image_shape
    )
    images = as_float_array("images", images, finite=False)
    if images.ndim < 2 or images.shape[0] == 0 or images[0].size != height * width:
        raise ValueError(
            f"images must be (n_images, {height * width}) or (n_images, "
            f"{height}, {width}) for image_shape {tuple(image_shape)}, with "
            f"n_images >= 1, got shape {images.shape}"
        )
    n_cols = min(check_nonnegative_int("n_cols", n_cols, minimum=1), images.shape[0])
    gap = check_nonnegative_int("gap", gap)
    if scale not in ("global", "each"):
        raise ValueError(f"scale must be 'global' or 'each', got {scale!r}")
    images = images.reshape(-1, height, width)
    if scale == "each":
        peak = np.nanmax(np.abs(images), axis=(1, 2), keepdims=True)
        images = images / np.where(peak > 0, peak, 1.0)
    n_rows = -(-images.shape[0] // n_cols)
    padded = np.full((n_rows * n_cols, height + gap, width + gap), np.nan)
    padded[: images.shape[0], :height, :width] = images
    mosaic = padded.reshape(n_rows, n_cols, height + gap, width + gap).transpose(
        0, 2, 1, 3
    )
    mosaic = mosaic.reshape(n_rows * (height + gap), n_cols * (width + gap))
    return mosaic[: mosaic.shape[0] - gap, : mosaic.shape[1] - gap]


def plot_image_grid(
    images,
    image_shape,
    *,
    n_cols=8,
    gap=1,
    scale="global",
    ax=None,
    title=None,
    cmap="gray_r",
    vmin=None,
    vmax=None,
    gap_color="0.7",
):
    """Draw images (rows of ``images``, e.g. data items or NMF features) as one grid.

    See :func:`image_mosaic` for the layout and ``scale``; the gaps between images are
    drawn in ``gap_color``. Axes ticks are hidden. Returns the Axes."""
    import matplotlib

    ax = _axes(ax)
    mosaic = image_mosaic(images, image_shape, n_cols=n_cols, gap=gap, scale=scale)
    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    colormap = colormap.with_extremes(bad=gap_color)
    ax.imshow(mosaic, cmap=colormap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def plot_error_histograms(
    samples, *, bins=20, log=False, ax=None, xlabel="final reconstruction error"
):
    """Histograms of final errors of many runs, one per method, on common bins.

    ``samples`` maps a label (e.g. ``"RRR"``, ``"CD"``) to the values of its runs.
    ``bins`` is a number of bins spanning all values (geometric bins if ``log``, for
    errors that span many decades; values must then be > 0) or an array of bin edges.
    Each method is drawn as an outlined step histogram labelled with its run count.
    Returns the Axes."""
    ax = _axes(ax)
    if not samples:
        raise ValueError("samples must map at least one label to values")
    values = {
        label: as_float_array(f"samples[{label!r}]", v).ravel()
        for label, v in samples.items()
    }
    pooled = np.concatenate(list(values.values()))
    if pooled.size == 0:
        raise ValueError("samples hold no values")
    if log and np.any(pooled <= 0):
        raise ValueError("samples must be > 0 for log=True")
    if np.ndim(bins) == 0:
        n_bins = check_nonnegative_int("bins", bins, minimum=1)
        lo, hi = pooled.min(), pooled.max()
        if lo == hi:
            lo, hi = (lo / 2, lo * 2) if log else (lo - 0.5, hi + 0.5)
        edges = (
            np.geomspace(lo, hi, n_bins + 1) if log else np.linspace(lo, hi, n_bins + 1)
        )
    else:
        edges = as_float_array("bins", bins, ndim=1)
    for label, v in values.items():
        ax.hist(
            v,
            bins=edges,
            histtype="step",
            linewidth=1.8,
            label=f"{label} ({v.size} runs)",
        )
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("runs")
    ax.legend()
    return ax
