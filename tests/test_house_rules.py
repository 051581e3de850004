"""The size limits of STYLE (functions <= 50 lines and complexity <= 15, classes <= 300 lines and <= 10
instance attributes) hold in summarizer/ and bench/; .ci/shape.py measures them (ruff checks C901 too)."""

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _shape() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shape", ROOT / ".ci" / "shape.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_function_class_or_attribute_count_over_the_limits() -> None:
    shape = _shape()
    files = sorted(p for root in ("summarizer", "bench") for p in (ROOT / root).rglob("*.py"))
    found = shape.measure(files)
    over = [(kind, where, value) for kind, where, value in found if value > shape.LIMITS[kind]]
    assert over == []
    assert {kind for kind, _, _ in found} == set(shape.LIMITS)  # it measured all three


def test_the_measure_sees_a_long_function_and_a_crowded_class(tmp_path: Path) -> None:
    body = "\n".join(f"    x{n} = {n}" for n in range(51))
    attrs = "\n".join(f"        self.a{n} = {n}" for n in range(11))
    source = tmp_path / "big.py"
    source.write_text(f"def long() -> None:\n{body}\n\n\nclass Crowded:\n    def __init__(self) -> None:\n{attrs}\n")
    found = {(kind, where.rsplit(" ", 1)[-1]): value for kind, where, value in _shape().measure([source])}
    assert found[("function-lines", "long")] == 52 and found[("attributes", "Crowded")] == 11


def test_the_measure_counts_complexity_as_radon_does(tmp_path: Path) -> None:
    branches = "\n".join(f"    if x == {n}:\n        return {n}" for n in range(15))
    source = tmp_path / "branchy.py"
    source.write_text(f"def branchy(x: int) -> int:\n{branches}\n"
                      "    return sum(y for y in range(x) if y or x)\n")
    found = {(kind, where.rsplit(" ", 1)[-1]): value for kind, where, value in _shape().measure([source])}
    assert found[("complexity", "branchy")] == 1 + 15 + 2 + 1  # the ifs, the comprehension's for and if, the or
