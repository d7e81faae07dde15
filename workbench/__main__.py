"""``python -m workbench``: the same command line as ``workbench``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
