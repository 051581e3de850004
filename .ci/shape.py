"""Checks the house rules: no function over 50 lines or over cyclomatic complexity 15, no class over 300 lines
or 10 instance attributes. Prints every offender and exits 1 if there is one; ``--stats`` prints the largest
of each.

Complexity is counted as radon counts it, with the standard library's ast: 1 for the function, plus 1 for
each ``if``/``elif`` and ternary ``x if c else y``; each ``for``/``async for``/``while`` (1 more when it has an
``else``); each ``except`` handler and a ``try``'s ``else``; each operand of ``and``/``or`` after the first;
each comprehension's ``for`` and each of its ``if``s; each ``assert``; each ``case`` of a ``match``. A lambda
counts within the function it is written in; a function or class defined inside another is measured on its
own and adds nothing to the outer one.

    python .ci/shape.py summarizer bench [--stats]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FUNCTION_LINES = 50
MAX_CLASS_LINES = 300
MAX_INSTANCE_ATTRIBUTES = 10
MAX_COMPLEXITY = 15


def _lines(node: ast.AST) -> int:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])  # type: ignore[attr-defined]
    return int(node.end_lineno or first) - first + 1  # type: ignore[attr-defined]


def _instance_attributes(cls: ast.ClassDef) -> set[str]:
    """Names assigned as ``self.x`` anywhere in the class's own methods."""
    names: set[str] = set()
    for node in ast.walk(cls):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                        and sub.value.id == "self"):
                    names.add(sub.attr)
    return names


def _decisions(node: ast.AST) -> int:
    """What one node adds to its function's complexity (see the module's docstring)."""
    if isinstance(node, (ast.If, ast.IfExp, ast.Assert)):
        return 1
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        return 1 + bool(node.orelse)
    if isinstance(node, ast.Try | ast.TryStar):
        return len(node.handlers) + bool(node.orelse)
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    if isinstance(node, ast.Match):
        return len(node.cases)
    return 0


def complexity(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Cyclomatic complexity of one function, nested functions and classes left out."""
    total = 1
    todo: list[ast.AST] = [*function.body, *function.args.defaults, *function.args.kw_defaults]
    while todo:
        node = todo.pop()
        if node is None or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        total += _decisions(node)
        todo.extend(ast.iter_child_nodes(node))
    return total


def measure(paths: list[Path]) -> list[tuple[str, str, int]]:
    """(kind, where, value) of every function and class; kind: function-lines, complexity, class-lines or
    attributes."""
    found: list[tuple[str, str, int]] = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path}:{getattr(node, 'lineno', 0)} {getattr(node, 'name', '')}"
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(("function-lines", where, _lines(node)))
                found.append(("complexity", where, complexity(node)))
            elif isinstance(node, ast.ClassDef):
                found.append(("class-lines", where, _lines(node)))
                found.append(("attributes", where, len(_instance_attributes(node))))
    return found


LIMITS = {"function-lines": MAX_FUNCTION_LINES, "complexity": MAX_COMPLEXITY, "class-lines": MAX_CLASS_LINES,
          "attributes": MAX_INSTANCE_ATTRIBUTES}


def main(argv: list[str]) -> int:
    stats = "--stats" in argv
    roots = [Path(a) for a in argv if not a.startswith("--")]
    files = sorted(f for root in roots for f in ([root] if root.is_file() else root.rglob("*.py")))
    found = measure(files)
    bad = [(k, w, v) for k, w, v in found if v > LIMITS[k]]
    for kind, where, value in bad:
        print(f"{where}: {kind} {value} > {LIMITS[kind]}")
    if stats:
        for kind in LIMITS:
            top = max((f for f in found if f[0] == kind), key=lambda f: f[2])
            print(f"largest {kind}: {top[2]} ({top[1]})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
