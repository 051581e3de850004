"""bench/quality.py runs on its labelled fixtures and the checks catch every planted fault there."""

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "quality.py"


def test_quality_bench_catches_every_planted_fault(capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_quality", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    lines = module.main([])
    out = capsys.readouterr().out
    assert lines and lines[0] in out
    text = "\n".join(lines)
    assert "planted faults caught:           11/11 on the first reply; 0 unplanted problem kinds; 0 problems on 3 clean" in text
    assert "2/2 kept faults flagged, 0 flags on fixed or clean replies" in text
    assert "after re-asks 11/11 (100%)" in text
