"""What serves the book's pages apart from the models: the chapters' figures and
explorers, the readers of the results files, and the tables of the back matter.

- :mod:`~lossless_tutorial.book.plotting`: the recurring figures (RRR orbits, constraint
  sets, error histories);
- :mod:`~lossless_tutorial.book.plotting_classifier`,
  :mod:`~lossless_tutorial.book.plotting_autoencoder` and
  :mod:`~lossless_tutorial.book.plotting_deep`: the figures of the classifier,
  autoencoder and deep-network chapters;
- :mod:`~lossless_tutorial.book.widgets`: the interactive explorers;
- :mod:`~lossless_tutorial.book.results`: the JSON results files that
  :mod:`~lossless_tutorial.reproduce` writes: reading them, choosing which file of an
  experiment a chapter shows, how much of the paper's protocol it covers, and the
  chapters' results tables;
- :mod:`~lossless_tutorial.book.status`: the reproduction status of every result the
  paper reports, read from those files;
- :mod:`~lossless_tutorial.book.style`: one look for the figures, readable at the width
  of the book's text column.
"""

from .results import EXPECTED
from .status import reproduction_status, status_table

__all__ = ["EXPECTED", "reproduction_status", "status_table"]
