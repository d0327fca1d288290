"""Entry point of the frozen bundle: the same launcher as the `fieldscribe` console script."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
