"""What serves the book's pages apart from the models: code that reads the results files
and makes the tables of the back matter.

- :mod:`~lossless_tutorial.book.status`: the reproduction status of every result the
  paper reports, read from the JSON results files that
  :mod:`~lossless_tutorial.reproduce` writes.
- :mod:`~lossless_tutorial.book.style`: one look for the figures, readable at the width
  of the book's text column.
"""

from .status import EXPECTED, reproduction_status, status_table

__all__ = ["EXPECTED", "reproduction_status", "status_table"]
