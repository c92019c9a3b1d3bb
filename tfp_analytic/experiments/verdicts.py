"""The verdict rule: does a run beat, meet or miss a claim of the paper?

`RULE` states the rule in words (the report prints it); `judge` applies it
to a `paper.Claim` and the values of the rows of one run that test it.

```python
from tfp_analytic.experiments import paper, verdicts
claim = paper.claims_for('spiral-coupling', 'spline')[0]  # ≈ 0.45, lower
verdicts.judge(claim, [[0.60]])  # ==> 'missed'
verdicts.judge(claim, [[0.40, 0.46, 0.52]])  # ==> 'met within noise'
```
"""

import numpy as np

from tfp_analytic.experiments import paper

BEATEN, MET, MISSED, NOT_RUN = ('beaten', 'met within noise', 'missed',
                                'not run')
SIGMAS = 2.
RULE = (
    'A claim\'s verdict compares our mean over seeds with the paper\'s '
    'figure (a number, a range such as 82–86 %, or a bound such as < 0.2). '
    'The noise is max(2 × std, tolerance): std, the standard deviation of '
    'our values over seeds (ddof 1; 0 for a single seed, whose verdict says '
    '"1 seed"), and the tolerance stated with each claim (the `tol.` '
    'column: 1 point of ESS, 2 for the phi4 ESS of 4,096 samples; 0.02 '
    'nats of a spiral NLL or forward KL, 5e-4 of the 1-D forward KL; a '
    'unit of the last digit the paper prints for a parameter count; for a '
    'fraction of samples 0.02). **Met within noise**: ours '
    'is within the noise of the paper\'s figure; **beaten**: better by more '
    'than the noise; **missed**: worse by more than the noise (or, where '
    'neither is better, such as a parameter count or a fraction of '
    'samples, further than the noise). A trend is met when it holds within '
    'noise: *improves*, no next row worse than the one before by more than '
    'the noise (the larger std of the two); *degrades*, the last row worse '
    'than the best before it by more than the noise. **Not run**: no run '
    'of ours tests the claim at its setting.')


def noise(*values, tolerance):
  """`max(SIGMAS * std, tolerance)`, std the largest over `values`' seeds.

  #### Example

  ```python
  from tfp_analytic.experiments import verdicts
  verdicts.noise([0.5, 0.7], tolerance=0.01)  # ==> 2 * 0.1414213562
  ```
  """
  stds = [np.std(v, ddof=1) if len(v) > 1 else 0. for v in values]
  return max(SIGMAS * max(stds), tolerance)


def judge(claim, rows):
  """The verdict of one run on `claim`.

  Args:
    claim: a `paper.Claim`.
    rows: for each row of the run that tests the claim, in the run's
      order, the list of its values over seeds (one row for a `'value'`
      claim).

  Returns:
    `BEATEN`, `MET` or `MISSED`; `NOT_RUN` where a trend has fewer than two
    rows.

  #### Example

  ```python
  from tfp_analytic.experiments import paper, verdicts
  claim = paper.claims_for('1d', 'cubic_rational_x3')[0]  # 82–86 %, higher
  verdicts.judge(claim, [[0.90]])  # ==> 'beaten'
  trend = next(c for c in paper.CLAIMS if c.kind == 'improves')
  verdicts.judge(trend, [[0.8], [0.95], [0.99]])  # ==> 'met within noise'
  ```
  """
  if claim.kind == 'value':
    return _value(claim, rows[0])
  if len(rows) < 2:
    return NOT_RUN
  sign = 1. if claim.better == 'higher' else -1.
  means = [sign * np.mean(r) for r in rows]
  if claim.kind == 'improves':
    worse = any(a - b > noise(ra, rb, tolerance=claim.tolerance)
                for a, b, ra, rb in zip(means, means[1:], rows, rows[1:]))
    return MISSED if worse else MET
  best = int(np.argmax(means[:-1]))
  drop = means[best] - means[-1]
  return MET if drop > noise(rows[best], rows[-1],
                             tolerance=claim.tolerance) else MISSED


def _value(claim, values):
  """A number against the paper's figure, or its range or bound."""
  low, high = paper.interval(claim.paper)
  margin = noise(values, tolerance=claim.tolerance)
  mean = float(np.mean(values))
  if claim.better is None:
    return MET if low - margin <= mean <= high + margin else MISSED
  if claim.better == 'lower':
    low, high, mean = -high, -low, -mean
  if mean > high + margin:
    return BEATEN
  return MISSED if mean < low - margin else MET
