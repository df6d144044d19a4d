"""PyFlink compatibility: job files that import ``pyflink.datastream`` / ``pyflink.common``
run here unmodified.

``install()`` puts :class:`~runtime.compat.pyflink_alias.PyFlinkAliasFinder` on
``sys.meta_path``: ``import pyflink.datastream`` then yields the module ``runtime.datastream``
itself (``pyflink.X`` *is* ``runtime.X``, one module object under two names, so classes keep
one identity and pickle by their ``runtime.`` names). It acts only when Apache Flink's own
``pyflink`` package is not installed, and a PyFlink module or name that has no counterpart
here fails with one line naming it and saying why (see :mod:`runtime.compat.unsupported`).

Who calls ``install()``: ``pyflink run`` / ``pyflink info`` before running the program, the
TaskManager before it loads a job's code, and, for ``python job.py``, the ``.pth`` file that
``pyflink compat install`` writes into site-packages (or ``python -m runtime.compat job.py``).

This module imports nothing but the standard library: the ``.pth`` hook imports it in every
interpreter start of the environment, so it must cost next to nothing.
"""
from runtime.compat.pyflink_alias import install, installed, serves_pyflink, uninstall

__all__ = ["install", "installed", "serves_pyflink", "uninstall", "NotSupportedError"]


def __getattr__(name: str) -> object:
    if name == "NotSupportedError":  # loaded on use: the .pth start-up path stays minimal
        from runtime.compat.unsupported import NotSupportedError
        return NotSupportedError
    raise AttributeError(f"module 'runtime.compat' has no attribute {name!r}")
