"""The task layer (Flink's ``streaming.runtime.tasks``): StreamTask, its mailbox, the operator
chain it drives, and what operators are given (TaskContext, outputs). Operators sit above this
layer and import from it; nothing here imports an operator."""
