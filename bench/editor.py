"""The language server's latency and memory: `python bench/editor.py --help`.

The code is in the layercheck_bench package next to this file (see run.py)."""

import sys

from layercheck_bench.editor import main

if __name__ == "__main__":
    sys.exit(main())
