"""Window functions: what runs over a fired window's contents."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from runtime.common.windowing import Window


class WindowFunction(ABC):
    @abstractmethod
    def apply(self, key: Any, window: Window, inputs: Iterable[Any]) -> Iterable[Any]: ...

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class AllWindowFunction(ABC):
    @abstractmethod
    def apply(self, window: Window, inputs: Iterable[Any]) -> Iterable[Any]: ...

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessWindowFunction(ABC):
    class Context(ABC):
        @abstractmethod
        def window(self) -> Window: ...

        @abstractmethod
        def current_processing_time(self) -> int: ...

        @abstractmethod
        def current_watermark(self) -> int: ...

        @abstractmethod
        def window_state(self) -> Any: ...

        @abstractmethod
        def global_state(self) -> Any: ...

    @abstractmethod
    def process(self, key: Any, context: ProcessWindowFunction.Context, elements: Iterable[Any]) -> Iterable[Any]: ...

    def clear(self, context: ProcessWindowFunction.Context) -> None:
        pass

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessAllWindowFunction(ABC):
    class Context(ProcessWindowFunction.Context, ABC):
        pass

    @abstractmethod
    def process(self, context: ProcessAllWindowFunction.Context, elements: Iterable[Any]) -> Iterable[Any]: ...

    def clear(self, context: Any) -> None:
        pass

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


