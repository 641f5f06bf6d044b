"""The per-epoch record that every RRR training loop keeps."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields

import numpy as np
from sklearn.exceptions import ConvergenceWarning


@dataclass
class TrainingHistory:
    """Columns with one entry per epoch, common to the RRR models:
    ``mean_iterations`` (RRR iterations per batch), ``rrr_error_start`` /
    ``rrr_error_end`` (mean RRR error at the first and last iteration of the batches),
    ``gwms`` (cumulative work) and ``wall_time`` (cumulative seconds). ``status`` is
    ``"finished"``, ``"interrupted"`` after a KeyboardInterrupt, or ``"diverged"`` when
    the parameters are no longer finite (e.g. a step beta far too large). Subclasses add
    their own columns."""

    mean_iterations: list = field(default_factory=list)
    rrr_error_start: list = field(default_factory=list)
    rrr_error_end: list = field(default_factory=list)
    gwms: list = field(default_factory=list)
    wall_time: list = field(default_factory=list)
    status: str = "finished"

    #: fields that are not one number per epoch
    _not_columns = ("status", "exempted")

    def as_arrays(self) -> dict:
        """The numeric columns as numpy arrays."""
        return {
            f.name: np.asarray(getattr(self, f.name))
            for f in fields(self)
            if f.name not in self._not_columns
        }


def warn_if_diverged(history, arrays, name):
    """Set ``history.status = "diverged"`` and warn (ConvergenceWarning) if any of the
    fitted parameter ``arrays`` holds NaN or infinity."""
    if all(np.all(np.isfinite(a)) for a in arrays):
        return False
    history.status = "diverged"
    warnings.warn(
        f"{name} diverged: its parameters are no longer finite (NaN or inf); "
        f"try a smaller beta",
        ConvergenceWarning,
        stacklevel=3,
    )
    return True
