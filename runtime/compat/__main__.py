"""``python -m runtime.compat job.py [args...]``: run a PyFlink job file with the
``pyflink.*`` import mapping, as ``python job.py`` would run it (embedded mini cluster).

For environments where every ``python job.py`` should have the mapping, ``pyflink compat
install`` writes a ``.pth`` hook instead (see :mod:`runtime.compat.site_hook`).
"""
from __future__ import annotations

import os
import runpy
import sys

from runtime.compat import install


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m runtime.compat JOB.py [ARGS...]\n"
              "Run a PyFlink job file whose imports are pyflink.datastream / pyflink.common on this engine.")
        return 0 if argv else 2
    install()
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))  # as `python job.py` does
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
