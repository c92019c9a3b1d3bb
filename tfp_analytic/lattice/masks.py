"""The checkerboard rule: the two sublattices of a periodic lattice."""

import numpy as np
import tensorflow as tf

__all__ = ['checkerboard_mask', 'sublattices']


def sublattices(lattice_shape):
  """Row-major indices of the even (`(i + j) % 2 == 0`) and the odd sites.

  The two sublattices of the checkerboard: the nearest neighbours of every
  site lie in the other one.

  Args:
    lattice_shape: `(L1, L2)`, Python ints.

  Returns:
    `(even, odd)`: int NumPy arrays of flat site indices, ascending.

  #### Example

  ```python
  from tfp_analytic import lattice
  even, odd = lattice.sublattices([2, 3])
  (even.tolist(), odd.tolist())  # ==> ([0, 2, 4], [1, 3, 5])
  ```
  """
  rows, cols = np.indices(tuple(lattice_shape))
  parity = ((rows + cols) % 2).ravel()
  return np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)


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
  mask = np.zeros(int(np.prod(lattice_shape)))
  mask[sublattices(lattice_shape)[parity]] = 1.
  return tf.constant(mask.reshape(tuple(lattice_shape)), dtype)
