"""Other ways to learn without backpropagation, one module each.

- :mod:`~lossless_tutorial.related.gradient`: full-batch Adam and gradient descent, the
  baselines these methods are compared with on equal wall time.
"""
