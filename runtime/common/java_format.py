"""Java's own text and hashing rules that ``print()`` output depends on, emulated in
Python: ``Double.toString``/``Float.toString`` and the iteration order of a ``HashMap``.

Why a module of its own: these are faithful ports of JDK algorithms (``FloatingDecimal``,
``String``/``Long``/``Double``/``BigInteger.hashCode``, ``HashMap`` table sizing), with no
knowledge of Flink types. :mod:`runtime.common.formatting` decides *which* rule applies
to a field of a given type and calls these.

Choices where exact Java output would be useless or unknowable:

* Doubles/floats follow JDK 8-17 (the JVMs Flink runs on), checked against JDK 17:
  integral values above 2**53 (floats: 2**24) print every digit the binary value
  resolves (``1.09716227053598195E18``, ``8.9565498E8``); all other values print the
  shortest round-tripping digits. Not reproduced: the old algorithm's rare misprints
  such as ``1.0E23`` → ``9.999999999999999E22`` and ``4.9E-324`` for the smallest
  denormal (we print ``1.0E23`` and ``5.0E-324``, as JDK 19+ does).
* Map entries follow Java ``HashMap`` bucket order for keys whose Java ``hashCode``
  we can compute (strings, integers, longs, booleans, doubles, floats, big integers);
  other key types keep insertion order. Buckets with 8+ colliding keys (Java
  treeifies those) are not modelled.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

__all__ = [
    "java_double_to_string",
    "java_double_to_string_slow",
    "java_float_to_string",
    "java_hash_string",
    "java_hash_int",
    "java_hash_long",
    "java_hash_bool",
    "java_hash_double",
    "java_hash_float",
    "java_hash_big_int",
    "java_hashmap_order",
]


# --------------------------------------------------------------------------- numbers


def _java_from_digits(negative: bool, digits: str, exp10: int) -> str:
    """Lay out ``0.d1d2… × 10^(exp10+1)`` (i.e. ``d1.d2… × 10^exp10``) the way Java's
    ``Double.toString`` does: plain notation for 1e-3 <= |x| < 1e7, else ``d.dddE±n``;
    always at least one digit after the point."""
    if -3 <= exp10 < 7:
        if exp10 >= 0:
            int_part = digits[: exp10 + 1].ljust(exp10 + 1, "0")
            frac_part = digits[exp10 + 1 :] or "0"
        else:
            int_part = "0"
            frac_part = "0" * (-exp10 - 1) + digits
        text = f"{int_part}.{frac_part}"
    else:
        text = f"{digits[0]}.{digits[1:] or '0'}E{exp10}"
    return "-" + text if negative else text


def _digits_of_repr(text: str) -> tuple[str, int]:
    """Split a positive Python float repr (``'1.5e-05'``, ``'12345678.0'``) into
    significant digits (no leading/trailing zeros) and the decimal exponent of the
    first digit."""
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    stripped = all_digits.lstrip("0")
    leading = len(all_digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    return digits, exponent + len(int_part) - 1 - leading


# floor(log10(2**p)) for p < 64: how many low decimal digits of an integer-valued
# double beyond 2**53 (float: 2**24) are noise. Java's FloatingDecimal drops them.
_INSIGNIFICANT_DIGITS = [len(str(1 << p)) - 1 if p > 1 else 0 for p in range(64)]


def _java_long_digits(value: int, bin_exp: int, significant_bits: int) -> tuple[str, int]:
    """The digits JDK 8-17's ``FloatingDecimal`` prints for an integral value below
    2**63: the exact integer, minus the low digits the binary precision cannot
    resolve (rounded half up). This is why Java 17 prints ``(float) 895654974`` as
    ``8.9565498E8`` where the shortest form would be ``8.95655E8``."""
    insignificant = 0
    if bin_exp > significant_bits:
        p2 = bin_exp - significant_bits - 1
        insignificant = _INSIGNIFICANT_DIGITS[p2] if p2 > 1 else 0
    if insignificant:
        pow10 = 10**insignificant
        value, residue = divmod(value, pow10)
        if residue >= pow10 >> 1:
            value += 1
    text = str(value)
    digits = text.rstrip("0") or "0"
    return digits, len(text) - 1 + insignificant


def _integral_fast_path(a: float, significant_bits: int) -> tuple[str, int] | None:
    """Return Java's digits for positive ``a`` if FloatingDecimal takes its integer
    fast path (``a`` integral, 1 <= a < 2**63), else ``None``."""
    if a < 1.0 or a >= 9.223372036854775808e18 or a != int(a):
        return None
    value = int(a)
    return _java_long_digits(value, value.bit_length() - 1, significant_bits)


def java_double_to_string_slow(v: float) -> str:
    """:func:`java_double_to_string` for any ``v``, without its shortcut for
    1e-3 <= |v| < 1e7 (callers that take that shortcut themselves use this)."""
    if v != v:
        return "NaN"
    if v == math.inf:
        return "Infinity"
    if v == -math.inf:
        return "-Infinity"
    if v == 0.0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    a = -v if v < 0 else v
    parts = _integral_fast_path(a, 53)
    if parts is None:
        parts = _digits_of_repr(repr(a))
    return _java_from_digits(v < 0, parts[0], parts[1])


def java_double_to_string(v: float) -> str:
    """Java's ``Double.toString(v)`` (as JDK 8-17 print it) for a Python float."""
    a = v if v >= 0 else -v
    if 1e-3 <= a < 1e7:
        # Python's repr uses plain notation (with ".0" for integral values) in this
        # range and its digits are Java's (integers below 2**53 print exactly in
        # both): the string is already right.
        return repr(v)
    return java_double_to_string_slow(v)


_F32 = struct.Struct("<f")


def java_float_to_string(v: float) -> str:
    """Java's ``Float.toString`` of ``v`` rounded to 32 bits, as JDK 8-17 print it:
    integral values through FloatingDecimal's integer path, others as the shortest
    decimal that reads back as the same float32; laid out with the ``Double.toString``
    rules."""
    try:
        packed = _F32.pack(v)
    except OverflowError:  # beyond float32 range: Java's (float) cast gives infinity
        return "Infinity" if v > 0 else "-Infinity"
    f = _F32.unpack(packed)[0]
    if f != f or f in (math.inf, -math.inf) or f == 0.0:
        return java_double_to_string_slow(f)
    a = abs(f)
    parts = _integral_fast_path(a, 24)
    if parts is None:
        packed_abs = _F32.pack(a)
        text = ""
        for precision in range(9):  # 9 significant digits always round-trip a float32
            text = "%.*e" % (precision, a)
            try:
                if _F32.pack(float(text)) == packed_abs:
                    break
            except OverflowError:  # rounded past FLT_MAX: needs more digits
                continue
        parts = _digits_of_repr(text)
    return _java_from_digits(f < 0, parts[0], parts[1])


# ------------------------------------------------------------ Java hashCode (HashMap)

_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF


def java_hash_string(s: Any) -> int:
    """``String.hashCode`` (over UTF-16 code units); TypeError for a non-str."""
    if s.__class__ is not str:
        raise TypeError
    h = 0
    if s.isascii():
        for c in s.encode("ascii"):
            h = (31 * h + c) & _U32
    else:
        units = s.encode("utf-16-be")
        for i in range(0, len(units), 2):
            h = (31 * h + ((units[i] << 8) | units[i + 1])) & _U32
    return h


def java_hash_int(v: Any) -> int:
    """``Integer``/``Short``/``Byte.hashCode``: the value as an unsigned 32-bit int."""
    return int(v) & _U32


def java_hash_long(v: Any) -> int:
    """``Long.hashCode``: the two 32-bit halves xor-ed."""
    u = int(v) & _U64
    return (u ^ (u >> 32)) & _U32


def java_hash_bool(v: Any) -> int:
    """``Boolean.hashCode``: 1231 for true, 1237 for false."""
    return 1231 if v else 1237


def java_hash_double(v: Any) -> int:
    """``Double.hashCode``: halves of the canonical IEEE bits xor-ed."""
    f = float(v)
    bits = 0x7FF8000000000000 if f != f else struct.unpack("<Q", struct.pack("<d", f))[0]
    return (bits ^ (bits >> 32)) & _U32


def java_hash_float(v: Any) -> int:
    """``Float.hashCode``: the canonical IEEE bits of the 32-bit value."""
    f = float(v)
    return 0x7FC00000 if f != f else struct.unpack("<I", struct.pack("<f", f))[0]


def java_hash_big_int(v: Any) -> int:
    """``BigInteger.hashCode``: over the magnitude's 32-bit words, negated for n < 0."""
    n = int(v)
    mag = abs(n)
    h = 0
    if mag:
        data = mag.to_bytes((mag.bit_length() + 31) // 32 * 4, "big")
        for i in range(0, len(data), 4):
            h = (31 * h + int.from_bytes(data[i : i + 4], "big")) & _U32
    if n < 0:
        h = (-h) & _U32
    return h


def java_hashmap_order(
    items: list[tuple[Any, Any]], jhash: Callable[[Any], int], sized: bool = True
) -> list[tuple[Any, Any]]:
    """Order entries as a Java ``HashMap`` they were put into, in this order, iterates them.

    ``sized``: the map was created as ``new HashMap<>(size)`` (what Flink's ``MapSerializer``
    does), so the table capacity is ``tableSizeFor(size)``; otherwise with the default
    constructor (capacity 16). Either way it doubles whenever the entry count passes
    0.75 × capacity; iteration walks buckets in index order and, inside a bucket, entries
    in insertion order.
    """
    size = len(items)
    if sized:
        cap = 1 << (size - 1).bit_length() if size > 1 else 1
        threshold = int(cap * 0.75)
    else:
        cap, threshold = 16, 12
    while size > threshold:
        old = cap
        cap <<= 1
        threshold = threshold << 1 if old >= 16 else int(cap * 0.75)
    mask = cap - 1
    try:
        keyed = []
        for index, (k, _) in enumerate(items):
            h = 0 if k is None else jhash(k)
            keyed.append((((h ^ (h >> 16)) & mask), index))
    except (TypeError, ValueError, OverflowError):
        return items  # a key Java could not have hashed like this: keep insertion order
    keyed.sort()
    return [items[i] for _, i in keyed]
