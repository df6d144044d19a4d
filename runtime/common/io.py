"""PyFlink's ``pyflink.common.io``: Java ``InputFormat`` wrappers (``env.create_input``).

There is no JVM to run an InputFormat; the module exists so that the name's absence is
explained (see :mod:`runtime.compat.unsupported`).
"""
from runtime.compat.unsupported import module_getattr

__all__: list[str] = []
__getattr__ = module_getattr(__name__)
