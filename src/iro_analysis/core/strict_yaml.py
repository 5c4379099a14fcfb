"""YAML for a settings file that cannot say two things: safe types only, no key given twice,
no anchors or aliases.

PyYAML's `safe_load` keeps the last of two equal keys without a word (issue #29:
`suppression_threshold: 5` and further down `suppression_threshold: 0` turned disclosure
control off), and expands aliases, so a few lines can stand for gigabytes (an "alias
bomb"). Settings need neither: the events are checked for anchors and aliases before
anything is built, and the composed tree for repeated keys, before `safe_load` builds the
values. Each check is linear in the file's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from iro_analysis.core.errors import excerpt


class StrictYamlError(ValueError):
    """What is wrong and where (line numbers), in one line; the caller names the file."""


def _line(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}" if mark is not None else "a line"


def _no_anchors_or_aliases(text: str) -> None:
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise StrictYamlError(
                f"{_line(event.start_mark)}: an alias (*{excerpt(event.anchor, 30, quote=False)}) "
                "is not allowed in settings: write the value out"
            )
        if getattr(event, "anchor", None):
            raise StrictYamlError(
                f"{_line(event.start_mark)}: an anchor (&{excerpt(event.anchor, 30, quote=False)}) "
                "is not allowed in settings: write each value out"
            )


def _no_repeated_keys(node: yaml.Node | None, where: str = "") -> None:
    stack = [(node, where)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in seen:
                    raise StrictYamlError(
                        f"the key {excerpt(where + name)} is given twice, on "
                        f"{_line(seen[name].start_mark)} and {_line(key.start_mark)}: "
                        "keep one (the file must not say two things)"
                    )
                if name is not None:
                    seen[name] = key
                stack.append((value, f"{where}{name}." if name is not None else where))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, where) for item in node.value)


def load_strict(text: str) -> Any:
    """The YAML document in `text` with safe types; StrictYamlError for an anchor, an
    alias or a key given twice in one mapping (naming the lines), yaml.YAMLError for text
    that is not YAML."""
    _no_anchors_or_aliases(text)
    _no_repeated_keys(yaml.compose(text, Loader=yaml.SafeLoader))
    return yaml.safe_load(text)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's message in one line: what is wrong and where (line and column)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + (f"{context}: " if context else "") + problem


def read_strict(path: Path, max_bytes: int) -> Any:
    """`load_strict` of a file; StrictYamlError (one line, the caller adds the file) when
    it is over `max_bytes`, not UTF-8 text, or not valid YAML."""
    size = path.stat().st_size
    if size > max_bytes:
        raise StrictYamlError(f"{size:,} bytes is too large for this file (at most {max_bytes:,})")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictYamlError(
            f"not UTF-8 text (byte {exc.start:,} is 0x{raw[exc.start]:02x}): save it as UTF-8"
        ) from None
    try:
        return load_strict(text)
    except yaml.YAMLError as exc:
        raise StrictYamlError(f"not valid YAML: {yaml_problem(exc)}") from None
