"""layercheck's benchmark: `python bench/run.py --help`; bench/README.md says what it does.

The code is the layercheck_bench package next to this file. Python puts the folder of the
script it runs first on sys.path, so the import works from any working folder.
"""

import sys

from layercheck_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
