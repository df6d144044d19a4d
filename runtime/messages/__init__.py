"""Messages of the control plane: ids, job results and details, TaskManager registration and
slot reports, and the codec that carries them (``codec``). Every RPC endpoint's gateway
Protocol is written in these types."""

from runtime.messages import ids as _ids  # noqa: E402 - registers the id types with the codec
