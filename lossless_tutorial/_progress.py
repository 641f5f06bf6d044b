"""The progress bar of long runs (a no-op when it is not asked for)."""

from __future__ import annotations


def progress_bar(total: int, description: str, show: bool, unit: str = "it"):
    """A ``tqdm`` bar over ``total`` steps, disabled unless ``show``."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit=unit, disable=not show)
