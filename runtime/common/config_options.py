"""PyFlink's ``pyflink.common.config_options``: typed configuration options built in job code::

    MY_OPTION = ConfigOptions.key("my.option").int_type().default_value(10)
    value = env.get_configuration().get(MY_OPTION)      # parsed to int, or 10

The options are the engine's own :class:`runtime.configuration.config_option.ConfigOption`
(so ``Configuration.get`` reads them like built-in options); ``ConfigOption`` here is that class.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from runtime.configuration.config_option import ConfigOption as _EngineOption

T = TypeVar("T")

__all__ = ["ConfigOption", "ConfigOptions"]


class ConfigOption(_EngineOption, Generic[T]):
    """A configuration key with its type and default (PyFlink's ``ConfigOption[T]``)."""

    def __init__(self, j_config_option: Any) -> None:
        key, type_name, default, description = j_config_option
        super().__init__(key, type_name, default, description)

    def with_description(self, description: str) -> ConfigOption[T]:
        return ConfigOption((self.key, self.type, self.default, description))

    def get_key(self) -> str:
        return self.key

    def get_default_value(self) -> Any:
        return self.default

    def has_default_value(self) -> bool:
        return self.default is not None


class ConfigOptions:
    """Builds options: ``ConfigOptions.key(name).<type>_type().default_value(v)``."""

    def __init__(self, j_config_options: Any) -> None:
        self._unused = j_config_options

    @staticmethod
    def key(key: str) -> ConfigOptions.OptionBuilder:
        if not key or not isinstance(key, str):
            raise ValueError(f"an option key must be a non-empty string, got {key!r}")
        return ConfigOptions.OptionBuilder(key)

    class OptionBuilder:
        def __init__(self, j_option_builder: Any) -> None:
            self._key = str(j_option_builder)

        def _typed(self, type_name: str) -> ConfigOptions.TypedConfigOptionBuilder:
            return ConfigOptions.TypedConfigOptionBuilder((self._key, type_name))

        def boolean_type(self) -> ConfigOptions.TypedConfigOptionBuilder[bool]:
            return self._typed("bool")

        def int_type(self) -> ConfigOptions.TypedConfigOptionBuilder[int]:
            return self._typed("int")

        def long_type(self) -> ConfigOptions.TypedConfigOptionBuilder[int]:
            return self._typed("int")

        def float_type(self) -> ConfigOptions.TypedConfigOptionBuilder[float]:
            return self._typed("float")

        def double_type(self) -> ConfigOptions.TypedConfigOptionBuilder[float]:
            return self._typed("float")

        def string_type(self) -> ConfigOptions.TypedConfigOptionBuilder[str]:
            return self._typed("str")

    class TypedConfigOptionBuilder(Generic[T]):
        def __init__(self, j_typed_config_option_builder: Any) -> None:
            self._key, self._type = j_typed_config_option_builder

        def default_value(self, value: T) -> ConfigOption[T]:
            return ConfigOption((self._key, self._type, value, ""))

        def no_default_value(self) -> ConfigOption[T]:
            return ConfigOption((self._key, self._type, None, ""))
