"""Every module imports on its own in a fresh interpreter: no import cycles that only work
when modules happen to be imported in a particular order (a job may import any of them first)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules() -> list[str]:
    out = []
    for base in ("runtime", "pyflink_cli"):
        for path in sorted((ROOT / base).rglob("*.py")):
            if path.name == "__main__.py":
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_every_module_imports_first():
    script = ("import subprocess, sys\n"
              "bad = []\n"
              "for m in sys.argv[1:]:\n"
              "    r = subprocess.run([sys.executable, '-c', f'import {m}'], capture_output=True, text=True)\n"
              "    if r.returncode:\n"
              "        bad.append((m, r.stderr.strip().splitlines()[-1]))\n"
              "print(bad)\n")
    proc = subprocess.run([sys.executable, "-c", script, *modules()], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout
