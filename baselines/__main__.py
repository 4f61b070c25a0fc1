"""``python -m fusionbench.baselines``."""

import sys

from fusionbench.baselines.cli import main

sys.exit(main())
