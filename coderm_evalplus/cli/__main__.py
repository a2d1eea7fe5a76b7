"""``python -m coderm_evalplus.cli``: the same as the ``coderm-evalplus`` script."""

import sys

from . import main

sys.exit(main())
