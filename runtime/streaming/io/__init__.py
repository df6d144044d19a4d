"""Task input (Flink's ``streaming.runtime.io``): the input processor that reads a task's input
gate and hands elements to its operator chain, and the watermark valve."""
