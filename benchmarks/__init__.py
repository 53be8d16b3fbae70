"""kmmodel benchmarks: ``python -m benchmarks`` (or ``make bench``) runs them all.

Each ``bench_*.py`` module defines ``TITLE`` and ``run(quick: bool = False) ->
pandas.DataFrame`` with at least the columns ``case``, ``measure`` and ``seconds``;
further columns (``ratio``, ``note`` …) carry the side-by-side comparisons that
the module's issue asks for. Times are measured in one run on the same machine,
so ratios are the figures to compare; absolute times depend on the machine.
"""
