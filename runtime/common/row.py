"""``Row`` and ``RowKind``, with the behaviour of PyFlink's ``pyflink.common.Row``.

A job written for PyFlink builds rows three ways and this module supports all of them,
because changing the import line must be the only edit a user makes:

* ``Row("a", 1)`` – positional fields, no names;
* ``Row(name="a", age=1)`` – named fields, in keyword order (modern PyFlink keeps the
  order the caller wrote; very old releases sorted the names);
* ``Person = Row("name", "age"); Person("a", 1)`` – a positional row of *names* called
  like a class builds a named row.

Rows are hot objects on the data path (one per record in many jobs), so the class uses
``__slots__`` and keeps values in a plain list: creation and index access stay close to
the cost of a tuple. Field names are stored once per row as a list reference (rows made
by the same "row class" share it).

Deliberate choices where PyFlink's own behaviour is odd or undocumented:

* ``x in row`` tests the *values*, which is what PyFlink's current implementation does
  (its docstring claims field names; the code disagrees, and the code is what users hit).
* Equality follows PyFlink: same kind, same values, and the same field names (a named and
  an unnamed row are never equal, even with the same values).
* ``repr`` follows PyFlink: ``Row(name='a', age=1)`` for named rows and ``<Row('a', 1)>``
  for positional rows (the angle brackets come from PyFlink's PySpark heritage).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import Enum
from typing import Any

__all__ = ["Row", "RowKind"]


class RowKind(Enum):
    """The change a row represents in a changelog stream (Flink's ``RowKind``).

    The numeric values are PyFlink's (``INSERT = 0`` … ``DELETE = 3``); ``str(kind)``
    and :meth:`short_string` give Flink's short form, which is what ``Row.toString`` in
    Java prints before the fields (``+I[a, 1]``).
    """

    INSERT = 0
    UPDATE_BEFORE = 1
    UPDATE_AFTER = 2
    DELETE = 3

    def short_string(self) -> str:
        """Return Flink's two-character form: ``+I``, ``-U``, ``+U`` or ``-D``."""
        return _SHORT_STRINGS[self.value]

    def __str__(self) -> str:
        return _SHORT_STRINGS[self.value]

    @staticmethod
    def from_short_string(value: str) -> RowKind:
        """Parse ``+I``/``-U``/``+U``/``-D`` back into a kind (used by text formats)."""
        try:
            return RowKind(_SHORT_STRINGS.index(value))
        except ValueError:
            raise ValueError(
                f"unknown row kind {value!r}; expected one of {', '.join(_SHORT_STRINGS)}"
            ) from None


# Indexed by RowKind.value; a tuple lookup is cheaper than a dict on the print path.
_SHORT_STRINGS: tuple[str, ...] = ("+I", "-U", "+U", "-D")


def _create_row(fields: list[str] | None, values: Sequence[Any], row_kind: RowKind | None) -> Row:
    """Rebuild a row from its parts; the target of ``Row.__reduce__`` (pickling)."""
    row = Row(*values)
    if fields is not None:
        row._fields = list(fields)
    if row_kind is not None:
        row._row_kind = row_kind
    return row


class Row:
    """A record with positional and (optionally) named fields, plus a :class:`RowKind`.

    Fields can be read as ``row[0]``, ``row["name"]`` or ``row.name``. See the module
    docstring for the three ways of building one.
    """

    __slots__ = ("_fields", "_values", "_row_kind")

    _fields: list[str] | None
    _values: list[Any]
    _row_kind: RowKind

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build a positional row from ``args`` or a named row from ``kwargs`` (not both)."""
        if kwargs:
            if args:
                raise ValueError("Can not use both args and kwargs to create Row")
            names = list(kwargs)
            object.__setattr__(self, "_fields", names)
            object.__setattr__(self, "_values", [kwargs[n] for n in names])
        else:
            object.__setattr__(self, "_fields", None)
            object.__setattr__(self, "_values", list(args))
        object.__setattr__(self, "_row_kind", RowKind.INSERT)

    # ------------------------------------------------------------------ PyFlink API

    @staticmethod
    def of_kind(row_kind: RowKind, *args: Any, **kwargs: Any) -> Row:
        """A row of the given kind: ``Row.of_kind(RowKind.DELETE, "a", 1)``."""
        row = Row(*args, **kwargs)
        row.set_row_kind(row_kind)
        return row

    def as_dict(self, recursive: bool = False) -> dict[str, Any]:
        """Return ``{name: value}``; with ``recursive`` nested rows (also inside lists and
        dicts) become dicts too. Only named rows have names, so positional rows raise."""
        if self._fields is None:
            raise TypeError("Cannot convert a Row class into dict")
        if not recursive:
            return dict(zip(self._fields, self._values))

        def conv(obj: Any) -> Any:
            if isinstance(obj, Row):
                return obj.as_dict(True)
            if isinstance(obj, list):
                return [conv(o) for o in obj]
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            return obj

        return {k: conv(v) for k, v in zip(self._fields, self._values)}

    def get_row_kind(self) -> RowKind:
        """Return the changelog kind of this row (``INSERT`` unless set)."""
        return self._row_kind

    def set_row_kind(self, row_kind: RowKind) -> None:
        """Set the changelog kind of this row."""
        if not isinstance(row_kind, RowKind):
            raise TypeError(f"row_kind must be a RowKind, got {type(row_kind).__name__}")
        self._row_kind = row_kind

    def set_field_names(self, field_names: list[str] | None) -> None:
        """Name the fields (or drop the names with ``None``) without touching the values."""
        self._fields = list(field_names) if field_names is not None else None

    def get_field_names(self) -> list[str] | None:
        """Return the field names, or ``None`` for a positional row."""
        return None if self._fields is None else list(self._fields)

    def get_fields_by_names(self, names: Sequence[str]) -> list[Any]:
        """Return the values of the named fields, in the order of ``names``."""
        if self._fields is None:
            raise TypeError("Cannot look up fields by name in a Row without field names")
        return [self[n] for n in names]

    def get_arity(self) -> int:
        """Return the number of fields (Java's ``Row.getArity``)."""
        return len(self._values)

    def _is_retract_msg(self) -> bool:
        return self._row_kind is RowKind.UPDATE_BEFORE or self._row_kind is RowKind.DELETE

    def _is_accumulate_msg(self) -> bool:
        return self._row_kind is RowKind.UPDATE_AFTER or self._row_kind is RowKind.INSERT

    # ------------------------------------------------------------------ row class

    def __call__(self, *args: Any) -> Row:
        """Treat this row's values as field names and build a named row from ``args``.

        This is what makes ``Person = Row("name", "age"); Person("a", 1)`` work.
        """
        if len(args) > len(self._values):
            raise ValueError(
                "Can not create Row with fields %s, expected %d values but got %s"
                % (self, len(self._values), args)
            )
        return _create_row(self._values, args, self._row_kind)

    # ------------------------------------------------------------------ access

    def __getitem__(self, item: int | slice | str) -> Any:
        if isinstance(item, (int, slice)):
            return self._values[item]
        return self._values[self._index_of(item, KeyError)]

    def __setitem__(self, key: int | slice | str, value: Any) -> None:
        if isinstance(key, (int, slice)):
            self._values[key] = value
            return
        self._values[self._index_of(key, KeyError)] = value

    def __getattr__(self, item: str) -> Any:
        # Only called when normal lookup fails, i.e. for field names (slots are found
        # first). Private names never map to fields so pickling/copy probes stay cheap.
        if item.startswith("_"):
            raise AttributeError(item)
        return self._values[self._index_of(item, AttributeError)]

    def __setattr__(self, key: str, value: Any) -> None:
        if key in Row.__slots__:
            object.__setattr__(self, key, value)
            return
        # PyFlink rows are read-only through attributes; use row[name] = value instead.
        raise AttributeError(key)

    def _index_of(self, name: str, error: type[Exception]) -> int:
        fields = self._fields
        if fields is None:
            raise error(f"{name!r}: this Row has no field names")
        try:
            return fields.index(name)
        except ValueError:
            raise error(name) from None

    def __contains__(self, item: Any) -> bool:
        return item in self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    # ------------------------------------------------------------------ value semantics

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return False
        return (
            self._row_kind is other._row_kind
            and self._fields == other._fields
            and self._values == other._values
        )

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __reduce__(self) -> tuple[Any, ...]:
        return _create_row, (self._fields, tuple(self._values), self._row_kind)

    def __copy__(self) -> Row:
        return _create_row(self._fields, self._values, self._row_kind)

    def __repr__(self) -> str:
        if self._fields is not None:
            return "Row(%s)" % ", ".join(
                "%s=%r" % (k, v) for k, v in zip(self._fields, self._values)
            )
        return "<Row(%s)>" % ", ".join(repr(v) for v in self._values)
