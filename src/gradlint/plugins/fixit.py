"""gradlint's rules as Fixit rules: `fixit lint`, `fixit fix` and `fixit lsp` report gradlint's findings.

Enable them in the project's configuration (pyproject.toml or .fixit.toml):

    [tool.fixit]
    enable = ["gradlint.plugins.fixit"]

One Fixit rule per gradlint rule (`NonLeafGrad` is GL001, `MovedLeafGrad` GL002, `LateRetainGrad`
GL003, `NonLeafOptimizerParameter` GL004), so Fixit's `disable` turns one off. gradlint's analysis
runs once per module, on the module's code, whichever of the rules is enabled; each rule reports the
findings with its code at the CST node of the read (the position is the one `gradlint` prints, the
line and 0-based column in Fixit's terms). `# lint-ignore: NonLeafGrad` and gradlint's own
`# noqa: GL001` both silence a finding; the `[tool.gradlint]` of the file's project applies.

A finding's fix becomes a LibCST replacement of the smallest statement that holds every edit of the
fix (the assignment that binds the tensor becomes a `FlattenSentinel` of the assignment and the
`y.retain_grad()` statement; a rewritten creation becomes the new statement), checked to produce the
exact text gradlint's own fix produces; a fix that spans statements replaces their enclosing
statement (the module, at top level). Fixit applies one replacement per node in a run, so a second
`fixit fix` applies what a larger replacement held back. Only safe fixes are offered (unsafe ones
too when the project sets `unsafe-fixes = true`): Fixit applies every replacement it is given.

File errors that are not findings (GL903: too complex to analyse, GL999: gradlint's internal error)
are logged as warnings, never reported as a rule's violation.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst
from fixit import Invalid, LintRule, Valid
from libcst.metadata import CodePosition, CodeRange, FilePathProvider, PositionProvider

from ..diagnostic import Diagnostic, Fix
from ..rules import RULES_BY_CODE
from . import _common

log = logging.getLogger(__name__)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
Replacement = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


# -- one analysis per module ---------------------------------------------------------------------

class _Finding:
    def __init__(self, diagnostic: Diagnostic, read: cst.CSTNode, target: cst.CSTNode,
                 replacement: Optional[Replacement]):
        self.diagnostic = diagnostic
        self.read = read  # the node of the read (what a `# lint-ignore` comment is looked up from)
        self.target = target  # the node the replacement replaces (the read when there is no fix)
        self.replacement = replacement


class _ModuleAnalysis:
    """gradlint's result for one module, its findings placed on the module's nodes."""

    def __init__(self, module: cst.Module, path: str):
        self.module = module
        self.path = path
        self.code = module.code
        self.diagnostics: List[Diagnostic] = []
        self._findings: Dict[str, List[_Finding]] = {}
        self._placer: Optional[_Placer] = None
        # An invalid `[tool.gradlint]` raises ConfigError: Fixit reports it as the file's error.
        self.settings = _common.settings_for(path)
        for diagnostic in _common.lint_text(self.code, path, self.settings):
            if diagnostic.code in RULES_BY_CODE:
                self.diagnostics.append(diagnostic)
            else:
                log.warning("gradlint: %s:%d:%d: %s %s", path, diagnostic.start.line, diagnostic.start.column,
                            diagnostic.code, diagnostic.message)

    def findings(self, code: str, positions) -> List[_Finding]:
        """The findings of one rule, placed on the module's nodes (once; only the rules Fixit runs)."""
        if code not in self._findings:
            mine = [d for d in self.diagnostics if d.code == code]
            if mine and self._placer is None:
                self._placer = _Placer(self.module, self.code, positions)
            unsafe = bool(self.settings.unsafe_fixes)
            self._findings[code] = [self._placer.place(d, unsafe, self.path) for d in mine]
        return self._findings[code]


_analysis_lock = threading.Lock()
_last: Optional[_ModuleAnalysis] = None


def _analysis(module: cst.Module, path: str) -> _ModuleAnalysis:
    """The analysis of this module: computed by the first rule that visits it, reused by the others
    (Fixit visits a module with every enabled rule in one batch)."""
    global _last
    with _analysis_lock:
        last = _last
    if last is not None and last.module is module and last.path == path:
        return last
    found = _ModuleAnalysis(module, path)
    with _analysis_lock:
        _last = found
    return found


# -- from text positions to nodes ----------------------------------------------------------------

def _statements(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))


class _Placer:
    def __init__(self, module: cst.Module, code: str, positions):
        self.module = module
        self.code = code
        self.positions = positions
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(code)]
        self.by_range: Dict[Tuple[int, int, int, int], List[cst.CSTNode]] = {}
        self.statements: List[Tuple[int, int, cst.CSTNode]] = []  # (block start, block end, node)
        self.attribute_of: Dict[int, cst.CSTNode] = {}  # id(the `grad` Name) -> `y.grad`
        for node, where in positions.items():
            if isinstance(node, cst.Attribute):
                self.attribute_of[id(node.attr)] = node
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            self.by_range.setdefault(key, []).append(node)
            if _statements(node):
                block = self._block(node, where)
                if block is not None:
                    self.statements.append((block[0], block[1], node))
        self.statements.sort(key=lambda item: item[1] - item[0])

    def offset(self, line: int, column0: int) -> int:
        if line - 1 >= len(self.line_starts):
            return len(self.code)
        return min(self.line_starts[line - 1] + column0, len(self.code))

    def _line_end(self, line: int) -> int:
        """The offset just after line `line`'s line break."""
        return self.line_starts[line] if line < len(self.line_starts) else len(self.code)

    def _block(self, node: cst.CSTNode, where: CodeRange) -> Optional[Tuple[int, int]]:
        """The whole lines a statement takes (its decorators included), if nothing but its
        indentation precedes it on its first line."""
        start = where.start
        for decorator in getattr(node, "decorators", ()) or ():
            place = self.positions.get(decorator)
            if place is not None and (place.start.line, place.start.column) < (start.line, start.column):
                start = place.start
        line_start = self.offset(start.line, 0)
        begin = line_start + start.column
        if self.code[line_start:begin].strip(" \t\f"):
            return None
        return line_start, self._line_end(where.end.line)

    def place(self, diagnostic: Diagnostic, unsafe: bool, path: str) -> _Finding:
        read = self._read_node(diagnostic)
        fix = diagnostic.fix
        if fix is not None and fix.edits and (fix.applicability == "safe" or unsafe):
            made = self._replacement(fix, path)
            if made is not None:
                return _Finding(diagnostic, read, made[0], made[1])
        return _Finding(diagnostic, read, read, None)

    def _read_node(self, diagnostic: Diagnostic) -> cst.CSTNode:
        """The node whose span is the diagnostic's (the `grad` of `y.grad`: its Attribute), else
        the innermost statement that holds its start, else the module."""
        key = (diagnostic.start.line, diagnostic.start.column - 1, diagnostic.end.line, diagnostic.end.column - 1)
        nodes = self.by_range.get(key)
        if nodes:
            node = nodes[0]
            return self.attribute_of.get(id(node), node)
        at = self.offset(diagnostic.start.line, diagnostic.start.column - 1)
        for begin, end, node in self.statements:
            if begin <= at < end:
                return node
        return self.module

    # -- fixes as replacements ---------------------------------------------------------------------

    def _replacement(self, fix: Fix, path: str) -> Optional[Tuple[cst.CSTNode, Replacement]]:
        """The smallest statement whose lines hold every edit, with the statements its edited
        text parses to; checked to give exactly the text gradlint's fix gives."""
        source = _common.buffer_source(self.code, path)
        try:
            fixed, applied = source.apply_fixes([fix])
        except Exception:  # noqa: BLE001 - a fix that does not apply is no replacement
            return None
        if not applied:
            return None
        expected = fixed.text
        edits = sorted(((self.offset(e.start.line, e.start.column - 1), self.offset(e.end.line, e.end.column - 1),
                         e.content) for e in fix.edits), key=lambda item: (item[0], item[1]))
        low, high = edits[0][0], max(end for _start, end, _content in edits)
        # The smallest statement first, except that an insertion between two statements goes with
        # the one before it (the assignment that binds the tensor, not the statement that follows).
        holding = [item for item in self.statements if item[0] <= low and high <= item[1]]
        candidates = sorted(holding, key=lambda item: (high == item[0], item[1] - item[0]))
        for begin, end, node in candidates:
            replacement = self._reparse(node, begin, end, edits)
            if replacement is not None and self._gives(node, replacement, expected):
                return node, replacement
        try:
            return self.module, cst.parse_module(expected)
        except cst.ParserSyntaxError:
            return None

    def _reparse(self, node: cst.CSTNode, begin: int, end: int,
                 edits: Sequence[Tuple[int, int, str]]) -> Optional[Replacement]:
        text = self.code[begin:end]
        for start, stop, content in reversed(edits):
            text = text[: start - begin] + content + text[stop - begin:]
        place = self.positions.get(node)
        first_line_start = self.offset(place.start.line, 0)
        indent = self.code[first_line_start: first_line_start + place.start.column]
        try:
            if indent:
                wrapper = cst.parse_module("if True:\n" + text)
                block = wrapper.body[0].body
                statements = list(block.body) if isinstance(block, cst.IndentedBlock) else []
                leading_extra: List[cst.EmptyLine] = []
            else:
                wrapper = cst.parse_module(text)
                statements = list(wrapper.body)
                leading_extra = list(wrapper.header)
        except cst.ParserSyntaxError:
            return None
        if not statements:
            return cst.RemovalSentinel.REMOVE
        statements = [_explicit_indents(s, wrapper.default_indent) for s in statements]
        first = statements[0]
        leading = list(getattr(node, "leading_lines", ())) + leading_extra + list(first.leading_lines)
        first = first.with_changes(leading_lines=leading)
        original_decorators = getattr(node, "decorators", ()) or ()
        new_decorators = getattr(first, "decorators", ()) or ()
        if original_decorators and new_decorators:
            head = new_decorators[0].with_changes(leading_lines=original_decorators[0].leading_lines)
            first = first.with_changes(decorators=[head, *new_decorators[1:]])
        statements[0] = first
        return statements[0] if len(statements) == 1 else cst.FlattenSentinel(statements)

    def _gives(self, node: cst.CSTNode, replacement: Replacement, expected: str) -> bool:
        try:
            return self.module.deep_replace(node, replacement).code == expected
        except Exception:  # noqa: BLE001 - a replacement LibCST refuses is no replacement
            return False


class _ExplicitIndents(cst.CSTTransformer):
    def __init__(self, indent: str):
        super().__init__()
        self.indent = indent

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated.with_changes(indent=self.indent) if updated.indent is None else updated


def _explicit_indents(statement: cst.CSTNode, indent: str) -> cst.CSTNode:
    """Blocks parsed out of context indent by the parsed text's own default indentation; spell it
    out, since the module they go into may default to another."""
    return statement.visit(_ExplicitIndents(indent))


# -- the rules -----------------------------------------------------------------------------------

class _GradlintRule:
    """What the four rules share. Not itself a LintRule, so Fixit does not collect it as a rule."""

    CODE = ""
    METADATA_DEPENDENCIES = (PositionProvider, FilePathProvider)

    def visit_Module(self, node: cst.Module) -> None:
        try:
            path = str(self.get_metadata(FilePathProvider, node, None) or "")
        except Exception:  # noqa: BLE001 - no path known: the working directory's settings apply
            path = ""
        analysis = _analysis(node, path or "<fixit>.py")
        positions = self.metadata.get(PositionProvider, {})
        for finding in analysis.findings(self.CODE, positions):
            self._report(finding)

    def _report(self, finding: _Finding) -> None:
        if super().ignore_lint(finding.read):
            return
        diagnostic = finding.diagnostic
        position = CodeRange(CodePosition(diagnostic.start.line, diagnostic.start.column - 1),
                             CodePosition(diagnostic.end.line, diagnostic.end.column - 1))
        self._reporting = True
        try:
            self.report(finding.target, f"{diagnostic.code} {diagnostic.message}", position=position,
                        replacement=finding.replacement)
        finally:
            self._reporting = False

    _reporting = False

    def ignore_lint(self, node: cst.CSTNode) -> bool:
        # A `# lint-ignore` comment is looked up from the read (`_report`), not from the statement
        # the fix replaces.
        if self._reporting:
            return False
        return super().ignore_lint(node)


def _examples(code: str) -> Tuple[List[Union[str, Valid]], List[Union[str, Invalid]]]:
    """The rule's own examples, with the range and fixed text each invalid one states (Fixit's
    columns count from 0)."""
    rule = RULES_BY_CODE[code]
    return [Valid(example) for example in rule.valid], [_invalid(example) for example in rule.invalid]


def _invalid(example) -> Invalid:
    line, column, end_line, end_column = example.range
    return Invalid(str(example), range=CodeRange(CodePosition(line, column - 1), CodePosition(end_line, end_column - 1)),
                   expected_replacement=example.fixed if example.applicability == "safe" else None)


_GL001_VALID, _GL001_INVALID = _examples("GL001")
_GL002_VALID, _GL002_INVALID = _examples("GL002")
_GL003_VALID, _GL003_INVALID = _examples("GL003")
_GL004_VALID, _GL004_INVALID = _examples("GL004")


class NonLeafGrad(_GradlintRule, LintRule):
    """GL001: `.grad` of a computed non-leaf tensor is always None."""

    CODE = "GL001"
    VALID = _GL001_VALID
    INVALID = [
        *_GL001_INVALID,
        Invalid(
            """
            import torch

            def step():
                x = torch.ones(2, requires_grad=True)
                y = x * 3  # scaled
                y.sum().backward()
                return y.grad
            """,
            range=CodeRange(CodePosition(7, 13), CodePosition(7, 17)),
            expected_replacement="""
            import torch

            def step():
                x = torch.ones(2, requires_grad=True)
                y = x * 3  # scaled
                if y.requires_grad:
                    y.retain_grad()
                y.sum().backward()
                return y.grad
            """,
        ),
    ]


class MovedLeafGrad(_GradlintRule, LintRule):
    """GL002: `.grad` of a requires-grad tensor moved or converted after creation is always None."""

    CODE = "GL002"
    VALID = _GL002_VALID
    INVALID = _GL002_INVALID


class LateRetainGrad(_GradlintRule, LintRule):
    """GL003: `retain_grad()` called after `backward()` leaves `.grad` None."""

    CODE = "GL003"
    VALID = _GL003_VALID
    INVALID = [
        *_GL003_INVALID,
        Invalid(
            """
            import torch

            def step():
                x = torch.ones(2, requires_grad=True)
                y = x * 3
                y.sum().backward()
                y.retain_grad()
                return y.grad
            """,
            range=CodeRange(CodePosition(8, 13), CodePosition(8, 17)),
            expected_replacement="""
            import torch

            def step():
                x = torch.ones(2, requires_grad=True)
                y = x * 3
                if y.requires_grad:
                    y.retain_grad()
                y.sum().backward()
                return y.grad
            """,
        ),
    ]


class NonLeafOptimizerParameter(_GradlintRule, LintRule):
    """GL004: an optimizer given a non-leaf tensor raises `ValueError: can't optimize a non-leaf Tensor`."""

    CODE = "GL004"
    VALID = _GL004_VALID
    INVALID = [
        *_GL004_INVALID,
        Invalid(
            """
            import torch
            w = torch.randn(3, requires_grad=True) * 0.01
            opt = torch.optim.SGD([w], lr=0.1)
            """,
            range=CodeRange(CodePosition(3, 23), CodePosition(3, 24)),
            expected_replacement="""
            import torch
            w = (torch.randn(3) * 0.01).requires_grad_()
            opt = torch.optim.SGD([w], lr=0.1)
            """,
        ),
    ]


__all__ = ["LateRetainGrad", "MovedLeafGrad", "NonLeafGrad", "NonLeafOptimizerParameter"]
