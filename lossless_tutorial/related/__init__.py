"""Other ways to learn without backpropagation, one module each.

- :mod:`~lossless_tutorial.related.gradient`: full-batch Adam and gradient descent, the
  baselines these methods are compared with on equal wall time;
- :mod:`~lossless_tutorial.related.analytic_relu`: analytic training of a two-layer
  leaky-ReLU network (after Barbu 2023): alternating exact least-squares layer solves
  with the activation pattern frozen, a backtracking safeguard, teacher-student data;
- :mod:`~lossless_tutorial.related.target_propagation`: hard-threshold (sign) networks
  trained with discrete targets (after Friesen and Domingos 2018): feasible-target
  search, the FTPROP-MB rule (STE, SSTE, soft hinge) and, for comparison, gapped-step
  networks trained by RRR;
- :mod:`~lossless_tutorial.related.parametrization`: the realization map of shallow ReLU
  networks, its degeneracies, the W^{1,inf} distance, balancing, Elser's fixed-norm
  gauge and a canonical form (after Berner, Elbraechter and Grohs 2019);
- :mod:`~lossless_tutorial.related.least_squares`: training by least-squares
  back-solving (after Khadilkar 2023, reconstructed), and the same constraints as two
  projections for RRR.
"""
