#!/usr/bin/env python3
"""Regenerate conf/flink-conf.toml from the option definitions.

The shipped file is generated rather than hand-written so it can never drift
from runtime/configuration/options.py: add an option there, run this script.
Usage: python scripts/gen-conf.py [--check]
  --check  exit 1 if the file is out of date instead of rewriting it (for CI)
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runtime.configuration.loader import shipped_conf_toml  # noqa: E402


def main(argv: list[str]) -> int:
    target = REPO / "conf" / "flink-conf.toml"
    text = shipped_conf_toml()
    if "--check" in argv:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date; run python scripts/gen-conf.py", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
