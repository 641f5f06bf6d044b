"""How many CPUs this process may really use, and numba's thread count capped to it.

``os.cpu_count()`` (and so numba's default thread count) reports every CPU of the
machine, also where the process is confined to fewer: a CPU affinity mask (``taskset``,
batch schedulers) or a cgroup quota (containers, Binder, CI runners). More threads than
usable CPUs only adds contention. The results never depend on the thread count: the
compiled kernels split their work by items, never a sum across threads.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["usable_cpus", "cap_numba_threads"]


def _cgroup_quota(root=Path("/sys/fs/cgroup")):
    """CPUs allowed by a cgroup quota (v2 ``cpu.max`` or v1 ``cfs_quota_us``), or
    None."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return float(quota) / float(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota = float((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = float((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def usable_cpus(cgroup_root=Path("/sys/fs/cgroup")) -> int:
    """The number of CPUs this process may use: the affinity mask, limited by a cgroup
    quota (rounded up, at least 1)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    quota = _cgroup_quota(Path(cgroup_root))
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


def cap_numba_threads() -> int:
    """Lower numba's thread count to :func:`usable_cpus` (never raise it; an explicit
    ``NUMBA_NUM_THREADS`` is the user's choice and is kept). Returns the count in
    force."""
    import numba

    if "NUMBA_NUM_THREADS" not in os.environ:
        numba.set_num_threads(min(numba.config.NUMBA_NUM_THREADS, usable_cpus()))
    return numba.get_num_threads()
