"""The momenta of a periodic lattice and their orbits under its symmetries."""

import numpy as np

__all__ = ['momentum_orbits']


def momentum_orbits(lattice_shape):
  """Labels of the orbits of the lattice momenta under the lattice symmetries.

  The momenta of an `L1 x L2` periodic lattice are `k = (k1, k2)` modulo
  `(L1, L2)`. The reflections `k_i -> -k_i` are symmetries of every periodic
  lattice; a square lattice also has the swap `k1 <-> k2` (together: the
  dihedral group D4). Since `-k` is in the orbit of `k`, a scaling constant on
  orbits maps real fields to real fields.

  Args:
    lattice_shape: `(L1, L2)`, Python ints.

  Returns:
    `(orbit_index, orbit_sizes)`: int NumPy arrays of shapes `[L1, L2]`
    (the orbit of each momentum, numbered by first appearance in the sorted
    canonical representatives) and `[num_orbits]`.

  #### Example

  ```python
  from tfp_analytic import lattice
  index, sizes = lattice.momentum_orbits([4, 4])
  len(sizes)  # ==> 6
  sizes.sum()  # ==> 16
  ```
  """
  size1, size2 = lattice_shape
  k1, k2 = np.indices((size1, size2))
  images = [(s1 * k1 % size1, s2 * k2 % size2)
            for s1 in (1, -1) for s2 in (1, -1)]
  if size1 == size2:
    images += [(b, a) for a, b in images]
  # Canonical representative: the smallest image, encoded as one integer.
  codes = np.min([a * size2 + b for a, b in images], axis=0)
  _, orbit_index, orbit_sizes = np.unique(
      codes, return_inverse=True, return_counts=True)
  return orbit_index.reshape(size1, size2), orbit_sizes
