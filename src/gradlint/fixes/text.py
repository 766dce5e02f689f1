"""Text positions for building edits from `ast` nodes (whose columns count UTF-8 bytes).

Edits are built only from node positions and exact slices of the source, never from display text
(`SourceText.segment` shortens and collapses whitespace: it is for messages). Inserted lines are
placed at the start of the next line, so the line endings already in the file stay as they are.
"""
from __future__ import annotations

import ast
import bisect
import threading
from typing import Callable, Dict, Generic, List, Optional, Sequence, TypeVar

from ..analysis.source import SourceText
from ..diagnostic import Edit, Location

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SCOPES = FUNCTIONS + (ast.ClassDef,)


def location(source: SourceText, line: int, byte_column: int) -> Location:
    return Location(line, source.column(line, byte_column) + 1)


def start_of(source: SourceText, node: ast.AST) -> Location:
    return location(source, node.lineno, node.col_offset)


def end_of(source: SourceText, node: ast.AST) -> Location:
    return location(source, node.end_lineno, node.end_col_offset)


def exact(source: SourceText, node: ast.AST) -> str:
    """The node's source text, exactly as written."""
    return source.slice(start_of(source, node), end_of(source, node))


def line_text(source: SourceText, line: int) -> str:
    """A line without its line ending."""
    return source.lines[line - 1].rstrip("\r\n") if 0 < line <= len(source.lines) else ""


def has_line_ending(source: SourceText, line: int) -> bool:
    return 0 < line <= len(source.lines) and source.lines[line - 1].endswith(("\n", "\r"))


def newline_of(source: SourceText, line: int) -> str:
    text = source.lines[line - 1] if 0 < line <= len(source.lines) else ""
    if text.endswith("\r\n"):
        return "\r\n"
    if text.endswith(("\n", "\r")):
        return text[-1]
    for other in reversed(source.lines[: max(line - 1, 0)]):
        if other.endswith("\r\n"):
            return "\r\n"
        if other.endswith(("\n", "\r")):
            return other[-1]
    return "\n"


def indentation(source: SourceText, line: int) -> str:
    """The indentation of a line as Python counts it: a form feed resets it, so only what follows
    the last one counts (and is copied)."""
    text = line_text(source, line)
    lead = text[: len(text) - len(text.lstrip(" \t\f"))]
    return lead.rsplit("\f", 1)[-1]


def continues_previous(source: SourceText, line: int) -> bool:
    """The line continues the previous one (a backslash at its end)."""
    return line > 1 and line_text(source, line - 1).endswith("\\")


def starts_line(source: SourceText, node: ast.AST) -> bool:
    """Nothing but indentation before the node on its (logical) line."""
    before = source.lines[node.lineno - 1].encode("utf-8", "surrogatepass")[: node.col_offset]
    return not before.strip(b" \t\f") and not continues_previous(source, node.lineno)


def ends_line(source: SourceText, node: ast.AST) -> bool:
    """Nothing but a comment after the node on its last line."""
    after = line_text(source, node.end_lineno).encode("utf-8", "surrogatepass")[node.end_col_offset:]
    rest = after.strip(b" \t\f")
    return not rest or rest.startswith(b"#")


def stands_alone(source: SourceText, stmt: ast.stmt) -> bool:
    """The statement has its lines to itself: nothing before it, only a comment after it."""
    return starts_line(source, stmt) and ends_line(source, stmt)


def insert_lines_after(source: SourceText, stmt: ast.stmt, lines: Sequence[str]) -> Edit:
    """Lines (already indented relative to the statement) placed after a statement that stands
    alone, with its indentation. They go at the start of the next line, so the statement's own line
    ending is kept; at the end of a file without a final line break, none is added."""
    indent = indentation(source, stmt.lineno)
    line = stmt.end_lineno
    newline = newline_of(source, line)
    if has_line_ending(source, line):
        at = Location(line + 1, 1)
        return Edit(at, at, "".join(indent + text + newline for text in lines))
    at = Location(line, len(line_text(source, line)) + 1)
    return Edit(at, at, "".join(newline + indent + text for text in lines))


def insert_after(source: SourceText, stmt: ast.stmt, code: str) -> Edit:
    """An edit placing `code` (one simple statement) as the next statement after `stmt`, in the
    same block: on a line of its own, or after a `;` when the statement shares its line."""
    if stands_alone(source, stmt):
        return insert_lines_after(source, stmt, [code])
    at = end_of(source, stmt)
    return Edit(at, at, f"; {code}")


def insert_before(source: SourceText, stmt: ast.stmt, lines: Sequence[str]) -> Optional[Edit]:
    """Lines placed before a statement, in its block: on lines of their own when the statement
    starts its line; a single simple statement followed by `; ` when it shares the line."""
    if starts_line(source, stmt):
        indent = indentation(source, stmt.lineno)
        at = Location(stmt.lineno, 1)
        newline = newline_of(source, stmt.lineno)
        return Edit(at, at, "".join(indent + text + newline for text in lines))
    if len(lines) != 1:
        return None
    at = start_of(source, stmt)
    return Edit(at, at, f"{lines[0]}; ")


# -- the tree around a node ---------------------------------------------------------------------

MAX_UNIT_SEARCH = 200  # top-level statements looked into for the file's indentation unit


class Layout:
    """The analysed tree with parents: which block a statement is in, what encloses a node. Nodes
    are looked up by type and position (`find`), so a node of another parse of the text works too.

    Indexed one top-level statement at a time, when a node in it is first asked about: a fix in a
    large file looks at the few statements around it, not at the whole tree."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.index = TreeIndex(tree)
        self.parents = OnDemand(self.index, self.index.parents)
        self.blocks = OnDemand(self.index, self.index.blocks)
        self.file_unit: Optional[str] = None

    def find(self, node: Optional[ast.AST]) -> Optional[ast.AST]:
        if node is None or not hasattr(node, "lineno"):
            return None
        self.index.around(node)
        return self.index.by_position.get(key(node))

    def ancestors(self, node: ast.AST):
        node = self.parents.get(node)
        while node is not None:
            yield node
            node = self.parents.get(node)

    def scope(self, node: ast.AST) -> ast.AST:
        """The function, class or module whose names the node's names are."""
        return next((a for a in self.ancestors(node) if isinstance(a, SCOPES)), self.tree)

    def in_function(self, node: ast.AST) -> bool:
        return any(isinstance(a, FUNCTIONS) for a in self.ancestors(node))

    def block_unit(self, source: SourceText, stmt: ast.stmt) -> str:
        """One level of indentation as this block writes it (its indentation less its header's)."""
        unit = self.step(source, stmt)
        if unit:
            return unit
        if self.file_unit is None:  # the first block in the file that says
            self.file_unit = next((u for u in (self.step(source, s) for s in self.nested_statements()) if u), "    ")
        return self.file_unit

    def nested_statements(self):
        """The statements in blocks below the top level, in file order (indexing as it goes), in
        the first MAX_UNIT_SEARCH top-level statements (a file of a million assignments and no
        block is not walked to learn that it has none)."""
        for index, top in enumerate(self.tree.body[:MAX_UNIT_SEARCH]):
            self.index.statement(index)
            for stmt in ast.walk(top):
                if isinstance(stmt, ast.stmt) and stmt is not top:
                    yield stmt

    def step(self, source: SourceText, stmt: ast.stmt) -> str:
        parent = self.parents.get(stmt)
        if parent is None or isinstance(parent, ast.Module) or not hasattr(parent, "lineno") \
                or not starts_line(source, stmt):
            return ""
        inner, outer = indentation(source, stmt.lineno), indentation(source, parent.lineno)
        return inner[len(outer):] if inner.startswith(outer) and len(inner) > len(outer) else ""


class TreeIndex:
    """Parents, blocks and nodes by position, filled one top-level statement at a time."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.parents: Dict[ast.AST, ast.AST] = {}
        self.blocks: Dict[ast.AST, List[ast.stmt]] = {}  # statement -> the block (list) holding it
        self.by_position: Dict[tuple, ast.AST] = {}
        self.starts = [first_line(stmt) for stmt in tree.body]
        self.done: set = set()  # the top-level statements (by index) indexed
        for stmt in tree.body:
            self.parents[stmt] = tree
            self.blocks[stmt] = tree.body

    def around(self, node: ast.AST) -> None:
        """Index the top-level statement holding `node` (all of them for a node without a line)."""
        line = getattr(node, "lineno", None)
        if line is None:
            for index in range(len(self.tree.body)):
                self.statement(index)
            return
        # the statements starting at or before the line that reach it (`a = f(\n x); b = 1`: two)
        index = bisect.bisect_right(self.starts, line) - 1
        while index >= 0 and (self.tree.body[index].end_lineno or line) >= line:
            self.statement(index)
            index -= 1

    def statement(self, index: int) -> None:
        if index in self.done:
            return
        self.done.add(index)
        for parent in ast.walk(self.tree.body[index]):
            for _name, value in ast.iter_fields(parent):
                if isinstance(value, list):
                    for child in value:
                        if isinstance(child, ast.AST):
                            self.parents[child] = parent
                            if isinstance(child, ast.stmt):
                                self.blocks[child] = value
                elif isinstance(value, ast.AST):
                    self.parents[value] = parent
            if isinstance(parent, (ast.stmt, ast.expr)):
                self.by_position.setdefault(key(parent), parent)


class OnDemand:
    """A table of a TreeIndex read with `get`: the statement around the node is indexed first."""

    def __init__(self, index: TreeIndex, table: dict):
        self.index = index
        self.table = table

    def get(self, node, default=None):
        value = self.table.get(node)
        if value is None and node is not self.index.tree:  # (the module has no parent, no block)
            self.index.around(node)
            value = self.table.get(node)
        return default if value is None else value


def first_line(stmt: ast.stmt) -> int:
    """Where a top-level statement starts: its first decorator's line, if any."""
    decorators = getattr(stmt, "decorator_list", None) or ()
    return min([stmt.lineno] + [d.lineno for d in decorators])


def key(node: ast.AST) -> tuple:
    return (type(node).__name__, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


I = TypeVar("I")


class PerTree(Generic[I]):
    """An index of the tree being fixed, built once and kept for that tree only: the fixes of one
    lint ask for it many times, and it is dropped when the next tree comes. (Not a
    WeakKeyDictionary: an index holds its tree, so no entry would ever go, and every tree linted in
    a long-lived process — the language server — would stay alive.)"""

    def __init__(self, build: Callable[[ast.Module], I]):
        self.build = build
        self.local = threading.local()  # the server may lint on several threads

    def __call__(self, tree: ast.Module) -> I:
        last = getattr(self.local, "last", None)
        if last is None or last[0] is not tree:
            last = self.local.last = (tree, self.build(tree))
        return last[1]


_LAYOUTS: PerTree[Layout] = PerTree(Layout)


def layout(tree: Optional[ast.Module]) -> Optional[Layout]:
    """The Layout of the analysed module (built once per tree); None without a tree."""
    return _LAYOUTS(tree) if tree is not None else None


def statement_deletion(source: SourceText, stmt: ast.stmt, where: Layout) -> Optional[Edit]:
    """An edit removing a statement: its lines when it has them to itself, the statement and its
    `;` when it shares a line; `pass` in its place when its block would be left empty."""
    own = where.find(stmt)
    block = where.blocks.get(own) if own is not None else None
    if block is None:
        return None
    index = next(i for i, s in enumerate(block) if s is own)
    start, end = start_of(source, stmt), end_of(source, stmt)
    if len(block) == 1:
        return Edit(start, end, "pass")
    if stands_alone(source, stmt):
        if has_line_ending(source, stmt.end_lineno):
            return Edit(Location(stmt.lineno, 1), Location(stmt.end_lineno + 1, 1), "")
        if stmt.lineno == 1:
            return None
        # The last line, without a final line break: take the break before it instead.
        previous = stmt.lineno - 1
        return Edit(Location(previous, len(line_text(source, previous)) + 1),
                    Location(stmt.end_lineno, len(line_text(source, stmt.end_lineno)) + 1), "")
    if index > 0 and block[index - 1].end_lineno == stmt.lineno:
        gap_start = end_of(source, block[index - 1])
        if source.slice(gap_start, start).strip(" \t\f") == ";":
            return Edit(gap_start, end, "")
    if index + 1 < len(block) and block[index + 1].lineno == stmt.end_lineno:
        following = start_of(source, block[index + 1])
        if source.slice(end, following).strip(" \t\f") == ";":
            return Edit(start, following, "")
    return None
