"""Speed and memory benchmarks against TFP's own bijectors, side by side.

    python -m benchmarks.elementwise [--quick]
    python -m benchmarks.training [--quick]

Numbers are ratios measured in the same run; see benchmarks/README.md.
"""
