"""Run the analysis command line: ``python -m analysis compute …``."""

import os
import sys

# One BLAS thread: the sums are many small products, and on a shared machine a thread pool
# waiting for busy cores makes them many times slower. An explicit setting is kept.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from analysis.cli import main  # noqa: E402  (after the thread settings, before numpy loads)

sys.exit(main())
