"""Test configuration: Hypothesis profiles.

The default profile, `repeatable`, draws the same examples on every run, so
that CI is reproducible and a failure found there is found again here. Run
`pytest --hypothesis-profile=explore` to search fresh random examples; a
failure then prints its reproduction blob.
"""

from hypothesis import settings

settings.register_profile('repeatable', derandomize=True, print_blob=True)
settings.register_profile('explore', print_blob=True)
settings.load_profile('repeatable')
