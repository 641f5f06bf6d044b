"""lossless_tutorial: training neural networks with constraints, projections and RRR.

The companion package of the book "Learning without loss" (after V. Elser, 2021). Its
modules, one idea each:

- :mod:`~lossless_tutorial.rrr`: the RRR iteration and alternating projections;
- :mod:`~lossless_tutorial.projections`: every elementary projection of the paper;
- :mod:`~lossless_tutorial.activations`: activation functions for inference;
- :mod:`~lossless_tutorial.nmf`: NMF as a one-layer network (:class:`RRRNMF`);
- :mod:`~lossless_tutorial.network` and :mod:`~lossless_tutorial.classifier`: the
  replicated-variable network and :class:`RRRClassifier`;
- :mod:`~lossless_tutorial.autoencoder` and :mod:`~lossless_tutorial.generative`: the
  cyclic iDE autoencoder :class:`RRRAutoencoder` and the generative model built on it;
- :mod:`~lossless_tutorial.reproduce`: the paper's experiments at full scale;
- :mod:`~lossless_tutorial.related`: other ways to learn without backpropagation;
- :mod:`~lossless_tutorial.datasets`: LEDM matrices, letter montages, majority circuits
  and the paper's data files;
- :mod:`~lossless_tutorial.work`: the GWM work unit;
- :mod:`~lossless_tutorial.toy_sets`: small sets in the plane for learning RRR;
- :mod:`~lossless_tutorial.book`: what serves the book's pages (figures, explorers,
  results readers and the reproduction status), apart from the models.
"""

from ._threads import cap_numba_threads
from .rrr import RRRResult, alternating_projections, rrr

# numba would start one thread per CPU of the machine, also where this process may use
# fewer (containers, Binder, CPU affinity); the cap applies to the importing thread.
cap_numba_threads()

__version__ = "0.1.0"

__all__ = ["RRRResult", "alternating_projections", "rrr", "__version__"]
