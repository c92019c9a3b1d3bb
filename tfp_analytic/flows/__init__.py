"""Normalizing flows built from analytic bijections: one factory per kind.

Every factory returns a `tfd.TransformedDistribution` over a standard normal
that starts at the identity and tracks all its variables. With
`context_size`, `coupling_flow`, `autoregressive_flow` and `radial_flow`
return a `ConditionalFlow` instead: `cf(context)` is the distribution for a
context.

```python
from tfp_analytic import flows, train
flow = flows.coupling_flow(2, transform='cubic_conjugation', num_members=3,
                           num_layers=4, hidden_units=(32, 32))
x = flow.sample(8, seed=(0, 1))
flow.log_prob(x).shape  # ==> [8]
```

The conditioners (`CouplingConditioner`, `AutoregressiveConditioner`) also
work as `bijector_fn` of TFP's own `tfb.RealNVP` and
`tfb.MaskedAutoregressiveFlow`: see "Inside TFP's own flows" in the README.
"""

from tfp_analytic.flows import networks
from tfp_analytic.flows.autoregressive import AutoregressiveConditioner
from tfp_analytic.flows.autoregressive import autoregressive_flow
from tfp_analytic.flows.conditional import ConditionalFlow
from tfp_analytic.flows.coupling import CouplingConditioner
from tfp_analytic.flows.coupling import CouplingLayer
from tfp_analytic.flows.coupling import coupling_flow
from tfp_analytic.flows.hybrid import hybrid_flow
from tfp_analytic.flows.lattice import lattice_flow
from tfp_analytic.flows.radial import radial_flow
from tfp_analytic.flows.transforms import ANALYTIC_FAMILIES
from tfp_analytic.flows.transforms import TRANSFORM_NAMES
from tfp_analytic.flows.transforms import Transform
from tfp_analytic.flows.transforms import get_transform

__all__ = [
    'ANALYTIC_FAMILIES',
    'AutoregressiveConditioner',
    'ConditionalFlow',
    'CouplingConditioner',
    'CouplingLayer',
    'TRANSFORM_NAMES',
    'Transform',
    'autoregressive_flow',
    'coupling_flow',
    'get_transform',
    'hybrid_flow',
    'lattice_flow',
    'radial_flow',
]
