"""Entry point of the frozen bundle: the same as the `fieldscribe` console script."""

import sys

from app.cli.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
