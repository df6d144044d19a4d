"""``pyflink.version`` under the import mapping: the PyFlink API version this engine follows.

Jobs sometimes gate features on ``pyflink.version.__version__``; the value is the Apache Flink
release whose Python API (names, signatures, printed output) this package reproduces.
"""
__version__ = "2.3.0"
