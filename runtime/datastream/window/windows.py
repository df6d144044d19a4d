"""PyFlink's window types, defined in ``runtime.common.windowing`` (shared with the operators)."""
from runtime.common.windowing import MAX_LONG, CountWindow, GlobalWindow, TimeWindow, TriggerResult, Window

__all__ = ["MAX_LONG", "CountWindow", "GlobalWindow", "TimeWindow", "TriggerResult", "Window"]
