"""Checkerboard masks for coupling layers on a lattice."""

import numpy as np
import tensorflow as tf

__all__ = ['checkerboard_mask']


def checkerboard_mask(lattice_shape, parity=0, dtype=tf.float32):
  """1 on the sites `(i, j)` with `(i + j) % 2 == parity`, 0 elsewhere.

  The two parities split the lattice into sublattices whose nearest
  neighbours all lie in the other one; a coupling layer updates one
  sublattice conditioned on the other, alternating the parity.

  Args:
    lattice_shape: `(L1, L2)`, Python ints.
    parity: 0 or 1, the parity of the sites marked 1.
    dtype: `tf.DType` of the mask.

  Returns:
    `Tensor` of shape `lattice_shape`.

  #### Example

  ```python
  from tfp_analytic import lattice
  lattice.checkerboard_mask([2, 3], parity=0)  # ==> [[1, 0, 1], [0, 1, 0]]
  ```
  """
  if parity not in (0, 1):
    raise ValueError(f'`parity` must be 0 or 1; got {parity}')
  rows, cols = np.indices(tuple(lattice_shape))
  return tf.cast(tf.constant((rows + cols) % 2 == parity), dtype)
