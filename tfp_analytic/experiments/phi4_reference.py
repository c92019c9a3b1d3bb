"""phi^4 reference observables from Hybrid Monte Carlo (docs/experiments.md).

For each lattice size L and coupling lam (m2 = -4 by default), runs
`lattice.hmc_phi4` and writes, per run, `L<L>-lam<lam>/metrics.json` with the
observables of `lattice.estimate_observables` (values and jackknife errors)
and the sampler's diagnostics; `compare_with_reference` of a trained flow
reads them back through `load_reference`. The top-level `metrics.json`
collects every run and `magnetization.png` shows the |M| histograms: lam = 5
should be unimodal (no dip of the |M| density at 0), lam = 3 bimodal.
`report_lines` is the report's table of a run.
"""

import json
import time
from pathlib import Path

import numpy as np

from tfp_analytic import lattice
from tfp_analytic.experiments import _common


def add_arguments(parser):
  parser.add_argument('--lattice-sizes', type=int, nargs='+', default=None,
                      help='L of the L x L lattices (default 8 12 20; '
                           'quick 4)')
  parser.add_argument('--lams', type=float, nargs='+', default=[5., 3.],
                      help='quartic couplings (default 5 3)')
  parser.add_argument('--m2', type=float, default=-4.)
  parser.add_argument('--chains', type=int, default=None,
                      help='independent HMC chains (default 16; quick 4)')
  parser.add_argument('--burnin', type=int, default=None,
                      help='adaptation steps, discarded (default steps / 4)')
  parser.add_argument('--leapfrog-steps', type=int, default=10)
  parser.add_argument('--bins', type=int, default=20,
                      help='jackknife bins per chain')


def run_name(lattice_size, lam):
  """The folder of one reference run, e.g. `L8-lam5`."""
  return f'L{lattice_size}-lam{lam:g}'


def load_reference(directory, lattice_size, lam):
  """The observables of a reference run, for `compare_with_reference`.

  `directory` is the experiment's output folder (e.g.
  `results/phi4-reference`).
  """
  path = Path(directory) / run_name(lattice_size, lam) / 'metrics.json'
  return json.loads(path.read_text())['observables']


def _dip_ratio(abs_m, num_bins=30):
  """Density of the |M| histogram near 0 over its peak density.

  Near 1 when the distribution of M has one mode at 0 (a flat top at a
  finite size included); near 0 when it has two modes at +-M0.
  """
  counts, _ = np.histogram(abs_m, bins=num_bins, range=(0., abs_m.max()))
  return counts[:num_bins // 10].mean() / counts.max()


def _autocorrelation_times(hmc, volume, num_bins):
  """Integrated autocorrelation times (in steps) of |M| and phi^2.

  The variance of a mean grows by `2 tau` over independent samples: `tau =
  (binned error / error with one sample per bin)^2 / 2`.
  """
  binned, single = (
      lattice.estimate_observables(hmc.magnetization, hmc.two_point, volume,
                                   num_bins=bins)
      for bins in (num_bins, len(hmc.magnetization)))
  first = lambda est, key: np.ravel(est[key]['error'])[0]
  return {name: (first(binned, key) / first(single, key))**2 / 2.
          for name, key in [('abs_magnetization', 'abs_magnetization'),
                            ('phi_squared', 'two_point')]}


def _reference_run(args, size, lam, chains, steps, burnin):
  start = time.time()
  hmc = lattice.hmc_phi4(
      [size, size], args.m2, lam, num_chains=chains, num_results=steps,
      num_burnin=burnin, num_leapfrog_steps=args.leapfrog_steps,
      seed=args.seed, jit_compile=not (args.quick or args.no_jit),
      progress=not args.no_progress)
  seconds = time.time() - start
  abs_m = np.abs(hmc.magnetization).ravel()
  taus = _autocorrelation_times(hmc, size * size, args.bins)
  dip = _dip_ratio(abs_m)
  metrics = dict(
      lattice_size=size, lam=lam, m2=args.m2,
      observables=lattice.estimate_observables(
          hmc.magnetization, hmc.two_point, size * size,
          num_bins=args.bins),
      acceptance=float(hmc.is_accepted.mean()),
      mean_exp_minus_dh=float(np.exp(hmc.log_accept_ratio).mean()),
      step_size=hmc.step_size, autocorrelation_time=taus,
      dip_ratio=dip, bimodal=bool(dip < 0.5), seconds=seconds,
      chains=chains, steps=steps, burnin=burnin)
  return metrics, abs_m


def run(args):
  sizes = args.lattice_sizes or ([4] if args.quick else [8, 12, 20])
  chains = args.chains or (4 if args.quick else 16)
  steps = args.steps or (200 if args.quick else 10000)
  burnin = args.burnin if args.burnin is not None else steps // 4
  config = dict(lattice_sizes=sizes, lams=args.lams, m2=args.m2,
                chains=chains, steps=steps, burnin=burnin,
                leapfrog_steps=args.leapfrog_steps, bins=args.bins)
  out = _common.prepare_output(args, config)
  results, histograms = {}, {}
  for size in sizes:
    for lam in args.lams:
      name = run_name(size, lam)
      metrics, histograms[size, lam] = _reference_run(args, size, lam, chains,
                                                      steps, burnin)
      (out / name).mkdir(exist_ok=True)
      _common.write_metrics(out / name, metrics)
      results[name] = metrics
      obs = metrics['observables']
      print(f'{name}: <|M|> {obs["abs_magnetization"]["value"]:.4f} +- '
            f'{obs["abs_magnetization"]["error"]:.4f}, chi '
            f'{obs["susceptibility"]["value"]:.3f} +- '
            f'{obs["susceptibility"]["error"]:.3f}, acceptance '
            f'{metrics["acceptance"]:.0%}, '
            f'{"bimodal" if metrics["bimodal"] else "unimodal"}, '
            f'{metrics["seconds"]:.0f} s')
  _common.write_metrics(out, results)
  _plot_abs_magnetization(histograms, sizes, args.lams, out)
  return results


def report_lines(run_dir):
  """Markdown: one row per reference run of `run_dir` (for `report`).

  Lattice size and coupling, `<|M|>`, susceptibility and Binder cumulant
  with their jackknife errors, the HMC acceptance, the integrated
  autocorrelation time of `|M|`, and the shape of the `|M|` histogram.

  #### Example

  ```python
  from tfp_analytic.experiments import phi4_reference
  lines = phi4_reference.report_lines('results/runs/phi4-reference')
  lines[2]  # L = 8 at λ = 5: '| 8 | 5 | 0.2400 ± 0.00096 | ...'
  ```
  """
  runs = sorted((json.loads(p.read_text())
                 for p in Path(run_dir).glob('L*-lam*/metrics.json')),
                key=lambda run: (-run['lam'], run['lattice_size']))
  lines = ['| L | λ | <\\|M\\|> | χ | Binder U | acceptance '
           '| τ(\\|M\\|) steps | \\|M\\| histogram |', '|---' * 8 + '|']
  for run in runs:
    obs = run['observables']
    cells = [str(run['lattice_size']), f'{run["lam"]:g}'] + [
        f'{obs[key]["value"]:.4f} ± {obs[key]["error"]:.2g}'
        for key in ('abs_magnetization', 'susceptibility', 'binder_cumulant')]
    cells += [f'{run["acceptance"]:.0%}',
              f'{run["autocorrelation_time"]["abs_magnetization"]:.1f}',
              ('two modes' if run['bimodal'] else 'one mode')
              + f' (dip ratio {run["dip_ratio"]:.2f})']
    lines.append('| ' + ' | '.join(cells) + ' |')
  return lines if runs else []


def _plot_abs_magnetization(histograms, sizes, lams, out):
  """|M| histograms: one panel per lattice size, one curve per lam."""
  plt = _common.pyplot()
  fig, axes = plt.subplots(1, len(sizes), figsize=(3.2 * len(sizes), 2.8),
                           squeeze=False, layout='constrained')
  for ax, size in zip(axes[0], sizes):
    for lam in lams:
      ax.hist(histograms[size, lam], bins=40, density=True,
              histtype='step', label=f'$\\lambda$ = {lam:g}')
    ax.set_title(f'L = {size}', fontsize=9)
    ax.set_xlabel('|M|')
  axes[0][0].set_ylabel('density')
  axes[0][0].legend(fontsize=7)
  return _common.save_figure(fig, out, 'magnetization.png')
