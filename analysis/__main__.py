"""Run the analysis command line: ``python -m analysis compute …``."""

import sys

from analysis.cli import main

sys.exit(main())
