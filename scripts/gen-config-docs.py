#!/usr/bin/env python3
"""Print (or refresh) the table of every configuration option in docs/configuration.md.

The table is generated from runtime/configuration/options.py (``ALL_OPTIONS``), the
same source the loader validates against and scripts/gen-conf.py renders into
conf/flink-conf.toml, so the three can never disagree.

Usage:
  python scripts/gen-config-docs.py            print the Markdown table on stdout
  python scripts/gen-config-docs.py --write    replace the table in docs/configuration.md
                                               (between the BEGIN/END markers)
  python scripts/gen-config-docs.py --check    exit 1 if docs/configuration.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runtime.configuration.config_option import (  # noqa: E402
    ConfigOption,
    format_duration_ms,
    format_memory_bytes,
)
from runtime.configuration.options import ALL_OPTIONS  # noqa: E402

DOC = REPO / "docs" / "configuration.md"
BEGIN = "<!-- BEGIN GENERATED OPTIONS TABLE (scripts/gen-config-docs.py --write) -->"
END = "<!-- END GENERATED OPTIONS TABLE -->"


def _cell(text: str) -> str:
    """Escape what would break a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _default(option: ConfigOption) -> str:
    if option.has_computed_default:
        return f"`{option.default_doc}`" if option.default_doc else "computed at start-up"
    value = option.default
    if option.type == "duration" and isinstance(value, int) and not isinstance(value, bool):
        return f"`{format_duration_ms(value)}`"
    if option.type == "memory" and isinstance(value, int) and not isinstance(value, bool):
        return f"`{format_memory_bytes(value)}`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value == "":
        return '`""` (empty)'
    return f"`{value}`"


def _meaning(option: ConfigOption) -> str:
    text = option.description
    if option.deprecated_keys:
        text += "; also accepted under the deprecated key(s) " + ", ".join(
            f"`{k}`" for k in option.deprecated_keys
        )
    return text


def render_table() -> str:
    lines = [
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for option in ALL_OPTIONS.values():
        lines.append(
            f"| `{option.key}` | {option.type} | {_cell(_default(option))} | {_cell(_meaning(option))} |"
        )
    return "\n".join(lines) + "\n"


def _replace(doc: str, table: str) -> str:
    start = doc.find(BEGIN)
    end = doc.find(END)
    if start < 0 or end < 0 or end < start:
        raise SystemExit(f"{DOC}: markers not found; expected\n{BEGIN}\n...\n{END}")
    return doc[: start + len(BEGIN)] + "\n" + table + doc[end:]


def main(argv: list[str]) -> int:
    table = render_table()
    if not argv:
        sys.stdout.write(table)
        return 0
    if argv[0] not in ("--write", "--check") or len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    current = DOC.read_text(encoding="utf-8")
    updated = _replace(current, table)
    if argv[0] == "--check":
        if updated != current:
            print(f"{DOC} is out of date; run python scripts/gen-config-docs.py --write", file=sys.stderr)
            return 1
        return 0
    if updated != current:
        DOC.write_text(updated, encoding="utf-8")
        print(f"updated {DOC}")
    else:
        print(f"{DOC} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
