"""The one YAML library of every file a person edits (study.yaml, personas.yaml): ruamel.yaml.

Reading and writing go through one round-trip parser (``ruamel.yaml``, YAML 1.2), so the
file a run writes back is read by the same rules it was written with (issue 23: personas.yaml
was written by ruamel and read back by PyYAML, YAML 1.1, so a persona named "No" or a quote
"yes" came back as a boolean). YAML 1.2 keeps ``No``, ``yes``, ``off``, ``on``, ``y``, ``n``
as text; only ``true`` / ``false`` are booleans. :func:`dump` still quotes those words, so a
YAML 1.1 reader (a consultant's own script) sees text too.

The round-trip parser is bounded: :class:`BoundedComposer` refuses, while composing and with
the line and column:

- more than :data:`MAX_DEPTH` levels of nesting;
- more than :data:`MAX_ALIASES` uses of ``*alias``, or aliases that would expand the
  document past :data:`MAX_NODES` nodes in all ("billion laughs"), or an alias that refers
  to itself;
- characters a workbook or deck cannot hold (:data:`workbench.files.cleantext.UNSHOWABLE`: control
  characters below U+0020 except tab and newline, U+007F-U+009F such as U+0085, lone
  surrogates, U+FFFE and U+FFFF).

A YAML file larger than :data:`MAX_BYTES` is refused before it is parsed. :func:`load` returns
plain data (dict, list, str, int, float, bool, None, dates) and the composed node (for key
lines); :func:`round_trip_load` returns ruamel's commented document, to update in place and
:func:`dump` with the comments kept.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.tokens import ScalarToken

from .cleantext import UNSHOWABLE
from ..core.errors import StudyError
from .limits import check_file, encoding_hint

__all__ = [
    "MAX_DEPTH", "MAX_ALIASES", "MAX_NODES", "MAX_BYTES", "YAMLError", "YAMLLimitError", "BoundedComposer",
    "MappingNode", "SequenceNode", "ScalarNode", "round_trip", "compose", "load", "safe_load", "round_trip_load",
    "plain_data", "dump", "quote_yaml11_words", "read_text", "duplicate_keys", "node_lines", "node_key",
    "describe_error", "YAML11_BOOL",
]

#: Deepest nesting of mappings and lists (a study.yaml needs about 8).
MAX_DEPTH = 64
#: Most uses of ``*alias`` in one document.
MAX_ALIASES = 1_000
#: Most nodes a document may hold with its aliases expanded.
MAX_NODES = 100_000
#: Largest YAML file read (bytes).
MAX_BYTES = 5_000_000

_CONTROL = re.compile("[\x0b\x0c\x0d]|" + UNSHOWABLE.pattern)  # and vertical tab, form feed, CR inside a text

#: Words YAML 1.1 reads as booleans (written quoted, so that no reader takes them for one).
YAML11_BOOL = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")


class YAMLLimitError(MarkedYAMLError):
    """A document beyond the parser's limits (depth, aliases, control characters)."""


class BoundedComposer(Composer):
    """ruamel's composer with the limits above (set as ``YAML().Composer``)."""

    def compose_document(self):
        self._wb_depth, self._wb_aliases, self._wb_nodes = 0, 0, 0
        self._wb_sizes, self._wb_open = {}, []
        return super().compose_document()

    def compose_node(self, parent, index):
        if not hasattr(self, "_wb_depth"):
            self._wb_depth, self._wb_aliases, self._wb_nodes, self._wb_sizes, self._wb_open = 0, 0, 0, {}, []
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                if event.anchor in self._wb_open:
                    raise YAMLLimitError(None, None, f"the alias *{event.anchor} refers to its own anchor (a loop)",
                                         event.start_mark)
                self._wb_aliases += 1
                self._wb_nodes += self._size(node)
                if self._wb_aliases > MAX_ALIASES:
                    raise YAMLLimitError(None, None, f"more than {MAX_ALIASES} uses of aliases (*name); write the "
                                         "values out instead", event.start_mark)
                self._check_nodes(event.start_mark)
            return super().compose_node(parent, index)
        event = self.parser.peek_event()
        self._wb_depth += 1
        if self._wb_depth > MAX_DEPTH:
            raise YAMLLimitError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        self._wb_open.append(event.anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._wb_depth -= 1
            self._wb_open.pop()
        self._wb_nodes += 1
        self._check_nodes(event.start_mark)
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            # ruamel marks the fold points of a folded (>) text with U+0007 (no escapes exist in that style)
            m = _CONTROL.search(node.value.replace("\a", "") if node.style == ">" else node.value)
            if m:
                what = "control character" if m.group() < "\x80" or "\x80" <= m.group() <= "\x9f" else "character"
                raise YAMLLimitError(None, None, f"the text holds the {what} U+{ord(m.group()):04X}, "
                                     "which workbooks and decks cannot show; remove it", node.start_mark)
        return node

    def _check_nodes(self, mark):
        if self._wb_nodes > MAX_NODES:
            raise YAMLLimitError(None, None, f"the document expands to more than {MAX_NODES:,} values (aliases "
                                 "counted each time they are used)", mark)

    def _size(self, node) -> int:
        """Nodes under ``node`` with aliases expanded (memoised, so linear in distinct nodes)."""
        key = id(node)
        if key in self._wb_sizes:
            return self._wb_sizes[key]
        sizes, entered = self._wb_sizes, set()
        stack = [(node, False)]
        while stack:  # iterative post-order over distinct nodes: no recursion, no expansion
            n, leaving = stack.pop()
            kids = (n.value if isinstance(n, SequenceNode)
                    else [c for kv in n.value for c in kv] if isinstance(n, MappingNode) else [])
            if leaving:
                sizes[id(n)] = 1 + sum(sizes.get(id(c), 1) for c in kids)
                continue
            if id(n) in sizes or id(n) in entered:
                continue
            entered.add(id(n))
            stack.append((n, True))
            stack.extend((c, False) for c in kids if id(c) not in sizes)
        return self._wb_sizes[key]


def round_trip(*, width: int = 100) -> YAML:
    """A bounded ruamel round-trip parser/writer: YAML 1.2, UTF-8 text, block style, 2-space indents."""
    rt = YAML(typ="rt")
    rt.Composer = BoundedComposer
    rt.width = width
    rt.allow_unicode = True
    rt.indent(mapping=2, sequence=2, offset=0)
    rt.allow_duplicate_keys = True  # duplicate keys are refused by :func:`load` with their line first
    return rt


def compose(text: str):
    """The composed node tree of ``text`` (None for an empty document), with the limits."""
    return round_trip().compose(text)


def round_trip_load(text: str):
    """ruamel's commented document of ``text`` (with the limits), to update and :func:`dump`."""
    return round_trip().load(text)


def plain_data(value):
    """``value`` with ruamel's round-trip types made plain: dict, list, str, int, float, bool."""
    if isinstance(value, dict):
        return {plain_data(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return bool(value) if type(value).__name__ == "ScalarBoolean" else int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, _dt.datetime):
        return _dt.datetime.fromisoformat(value.isoformat())
    return value


def safe_load(text: str):
    """Plain data from YAML ``text`` (bounded; no line map, no duplicate-key check)."""
    return plain_data(round_trip_load(text))


def quote_yaml11_words(doc):
    """Quote every text YAML 1.1 would read as a boolean ('No', 'yes', 'off'), in place: ruamel writes
    YAML 1.2, where they are plain words, but a YAML 1.1 reader would take them for booleans."""
    stack = [doc]
    while stack:
        n = stack.pop()
        items = n.items() if isinstance(n, dict) else enumerate(n) if isinstance(n, list) else ()
        for k, v in list(items):
            if isinstance(v, str) and YAML11_BOOL.match(v):
                n[k] = SingleQuotedScalarString(v)
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return doc


def dump(doc) -> str:
    """YAML text of ``doc`` (plain data or a :func:`round_trip_load` document, whose comments stay),
    block style, keys in their order, YAML-1.1 boolean words quoted."""
    out = io.StringIO()
    round_trip().dump(quote_yaml11_words(doc), out)
    return out.getvalue()


def read_text(path, *, error=StudyError, what: str = "YAML file") -> str:
    """The text of a YAML file (UTF-8, a BOM allowed), refusing oversized or non-regular files."""
    path = Path(path)
    check_file(path, max_bytes=MAX_BYTES, what=what, error=error)
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"not valid UTF-8 (byte {exc.start}, line {line}){encoding_hint(raw)}; save the file as UTF-8",
                    file=path, row=line) from None


def describe_error(exc: YAMLError) -> tuple[int | None, str]:
    """``(line, text)`` for a YAML error: the line where the problem *starts* (an unclosed quote's
    opening, not the end of the file where the parser noticed it)."""
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    ctx_mark = getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None)
    if isinstance(exc, YAMLLimitError):
        return (mark.line + 1 if mark else None), problem
    line = mark.line + 1 if mark else None
    text = problem
    if ctx_mark is not None and mark is not None and ctx_mark.line != mark.line:
        line = ctx_mark.line + 1
        text = (f"{context or 'the text starting here'} (line {ctx_mark.line + 1}, column {ctx_mark.column + 1}) "
                f"is not closed: {problem} at line {mark.line + 1}")
    elif context:
        text = f"{problem} ({context})"
    return line, text


def _runaway_quote(text: str, before_line: int):
    """``(start, end)`` lines of the last quoted text spanning several lines before ``before_line``
    (0-based): an opening quote whose closing one was missing took the lines after it along."""
    found = None
    try:
        for tok in round_trip().scan(text):
            if tok.start_mark.line > before_line:
                break
            if (isinstance(tok, ScalarToken) and tok.style in ('"', "'")
                    and tok.end_mark.line > tok.start_mark.line):
                found = (tok.start_mark.line + 1, tok.end_mark.line + 1)
    except YAMLError:
        pass
    return found


def load(text: str, *, file=None, error=StudyError, what: str = "the file"):
    """Parse ``text`` with the bounded round-trip parser: ``(plain data, node)``; a YAML error raises
    ``error`` naming the line; duplicate keys in one mapping raise too (the second would silently win)."""
    try:
        node = compose(text)
        dups = duplicate_keys(node) if node is not None else []
        if dups:
            path, line = dups[0]
            more = f" (and {len(dups) - 1} more)" if len(dups) > 1 else ""
            raise error(f"{what}: the key {_path_str(path)} appears twice in the same mapping{more}; the second "
                        "would silently win: keep one", file=file, row=line)
        data = plain_data(round_trip_load(text)) if node is not None else None
    except YAMLError as exc:
        line, problem = describe_error(exc)
        hint = "" if isinstance(exc, YAMLLimitError) else "; check indentation and that text containing ':' or '#' is quoted"
        mark = getattr(exc, "problem_mark", None)
        runaway = _runaway_quote(text, mark.line) if mark is not None and not isinstance(exc, YAMLLimitError) else None
        if runaway is not None:  # the edit is where the quote opened, not where the parser gave up
            line = runaway[0]
            problem = (f"the quoted text opened at line {runaway[0]} is not closed on its line and runs on to line "
                       f"{runaway[1]}; close the quote ({problem})")
        raise error(f"{what} is not valid YAML: {problem}{hint}", file=file, row=line) from None
    return data, node


_TYPED_KEY = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float}


def node_key(knode):
    """The key a mapping's key node stands for, typed as the parser reads it (``1`` vs ``'1'``)."""
    if not isinstance(knode, ScalarNode):
        return repr(knode.value)[:40]
    tag = getattr(knode.tag, "value", knode.tag)  # ruamel >= 0.18 wraps tags in a Tag object
    if tag == "tag:yaml.org,2002:bool":
        return knode.value.lower() == "true"
    if tag == "tag:yaml.org,2002:null":
        return None
    conv = _TYPED_KEY.get(tag)
    if conv is not None:
        try:
            return conv(knode.value.replace("_", ""))
        except ValueError:
            pass
    return knode.value


def duplicate_keys(node) -> list[tuple[tuple, int]]:
    """``(key path, line)`` of every key that repeats within one mapping (iterative walk)."""
    out, stack, seen_nodes = [], [(node, ())], set()
    while stack:
        n, path = stack.pop()
        if id(n) in seen_nodes:
            continue
        seen_nodes.add(id(n))
        if isinstance(n, MappingNode):
            keys = set()
            for k, v in n.value:
                key = node_key(k)
                if key in keys:
                    out.append((path + (key,), k.start_mark.line + 1))
                keys.add(key)
                stack.append((v, path + (key,)))
        elif isinstance(n, SequenceNode):
            stack.extend((c, path + (i,)) for i, c in enumerate(n.value))
    return sorted(out, key=lambda t: t[1])


def node_lines(node) -> dict[tuple, int]:
    """Key path -> line (1-based) of every node (iterative walk; aliases visited once)."""
    out, stack, seen = {}, [(node, ())], set()
    while stack:
        n, path = stack.pop()
        out.setdefault(path, n.start_mark.line + 1)
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, MappingNode):
            for k, v in n.value:
                key = node_key(k)
                out[path + (key,)] = k.start_mark.line + 1
                stack.append((v, path + (key,)))
        elif isinstance(n, SequenceNode):
            stack.extend((c, path + (i,)) for i, c in enumerate(n.value))
    return out


def _path_str(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"
