"""Reading study.yaml with the one bounded YAML parser (ruamel.yaml round-trip, YAML 1.2: depth,
aliases, control characters, file size: :mod:`workbench.files.safeyaml`, :mod:`workbench.files.limits`) that
keeps 'NO' a string, key lines and duplicate keys."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import StudyError
from ..files.limits import LIMITS, check_file, encoding_hint
from ..files.safeyaml import (MappingNode, SequenceNode, YAMLError, YAMLLimitError, compose, describe_error, node_key,
                        plain_data, round_trip_load)

__all__ = ["node_lines", "read_yaml", "text_line_of_byte"]


def node_lines(node, path=(), out=None, dups=None):
    """Map every key path to its line (1-based) and collect duplicate keys."""
    if out is None:
        out, dups = {}, []
    out[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        seen = set()
        for knode, vnode in node.value:
            key = node_key(knode)  # typed key (1 vs '1')
            if key in seen:
                dups.append((path + (key,), knode.start_mark.line + 1))
            seen.add(key)
            node_lines(vnode, path + (key,), out, dups)
            out[path + (key,)] = knode.start_mark.line + 1
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            node_lines(item, path + (i,), out, dups)
    return out, dups


def read_yaml(path: Path):
    try:
        if path.exists():  # a folder, a FIFO, a device or a huge file is refused unread
            check_file(path, max_bytes=LIMITS["yaml"].max_bytes, what="study file", error=StudyError)
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StudyError(
            "study file not found; a study folder needs a study.yaml "
            "(see surveys/README.md, or run `workbench demo` for an example)",
            file=path,
        ) from None
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = text_line_of_byte(raw, exc.start)
        hint = encoding_hint(raw).replace(", or declare encoding: utf-16 on the wave", "")
        raise StudyError(
            f"not valid UTF-8 (byte {exc.start}, line {line}){hint}; save the file as UTF-8",
            file=path,
        ) from None
    try:
        node = compose(text)
        data = plain_data(round_trip_load(text))
    except YAMLLimitError as exc:
        line, problem = describe_error(exc)
        raise StudyError(f"line {line}: {problem}", file=path) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise StudyError(
            f"{where}malformed YAML: {problem}"
            + (f" ({exc.context})" if getattr(exc, "context", None) else "")
            + "; check indentation and that text containing ':' or '#' is quoted",
            file=path,
        ) from None
    if node is None or data is None:
        raise StudyError("the study file is empty", file=path)
    if not isinstance(data, dict):
        raise StudyError("the study file must be a mapping of keys (study:, waves:, blocks:, ...)", file=path)
    lines, dups = node_lines(node)
    return data, text, lines, dups


def text_line_of_byte(raw: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return raw[:offset].count(b"\n") + 1

