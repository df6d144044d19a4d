"""PyFlink's ``pyflink.common.constants``: long bounds and the main output's tag."""

#: the largest value a Java long (Flink's timestamps) can hold, 2**63 - 1
MAX_LONG_VALUE = 0x7FFFFFFFFFFFFFFF
#: the smallest value a Java long can hold, -2**63
MIN_LONG_VALUE = -MAX_LONG_VALUE - 1
#: the output tag of an operator's main output
DEFAULT_OUTPUT_TAG = ""
