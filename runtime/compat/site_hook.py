"""The ``.pth`` hook: every ``python`` of the environment maps ``pyflink.*`` onto this engine.

``pyflink compat install`` writes ``pyflink_py_compat.pth`` into the environment's
site-packages with one line that imports this module; Python's ``site`` runs it at start-up.
It only puts the finder on ``sys.meta_path`` (about a millisecond, nothing is looked up until
a program imports ``pyflink``), and the finder steps aside when Apache Flink's own
``pyflink`` is installed, so the hook is safe in an environment that has both.
``pyflink compat uninstall`` removes the file.
"""
from __future__ import annotations

import os
import site
import sys

PTH_NAME = "pyflink_py_compat.pth"
#: one line, run by ``site``: never raises (an environment whose runtime package was removed
#: must still start), and does nothing when the package cannot be found
PTH_LINE = ("import sys; exec(\"try:\\n import runtime.compat\\n runtime.compat.install()\\n"
            "except Exception:\\n pass\")\n")


def site_packages() -> str:
    """The site-packages directory of this interpreter's environment (the user site when the
    environment's own is not writable)."""
    candidates = [p for p in site.getsitepackages() if os.path.isdir(p)]
    for path in candidates:
        if os.access(path, os.W_OK):
            return path
    user = site.getusersitepackages()
    return user if isinstance(user, str) else candidates[0]


def pth_path() -> str:
    return os.path.join(site_packages(), PTH_NAME)


def installed_pth() -> str | None:
    """The hook file if one is installed for this interpreter."""
    paths = [os.path.join(p, PTH_NAME) for p in site.getsitepackages()]
    user = site.getusersitepackages()
    if isinstance(user, str):
        paths.append(os.path.join(user, PTH_NAME))
    return next((p for p in paths if os.path.isfile(p)), None)


def install_pth() -> str:
    path = pth_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(PTH_LINE)
    return path


def uninstall_pth() -> str | None:
    path = installed_pth()
    if path is not None:
        os.remove(path)
    return path


if __name__ == "__main__":  # pragma: no cover - manual use
    print(installed_pth() or f"not installed (would be {pth_path()}) for {sys.executable}")
