"""The per-epoch record that every RRR training loop keeps."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass
class TrainingHistory:
    """Columns with one entry per epoch, common to the RRR models:
    ``mean_iterations`` (RRR iterations per batch), ``rrr_error_start`` /
    ``rrr_error_end`` (mean RRR error at the first and last iteration of the batches),
    ``gwms`` (cumulative work) and ``wall_time`` (cumulative seconds). ``status`` is
    ``"interrupted"`` after a KeyboardInterrupt. Subclasses add their own columns."""

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
        return {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)
                if f.name not in self._not_columns}
