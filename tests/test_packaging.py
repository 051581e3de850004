"""The install says nothing of ours: pyproject.toml in the forms current setuptools wants, and the README's
test command says in one line why the browser tests were skipped (they never skip silently)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_license_is_an_spdx_string_and_every_template_folder_is_a_listed_package() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # A table (license = {text = "MIT"}) is deprecated: setuptools warns on every install.
    assert data["project"]["license"] == "MIT"
    assert "setuptools>=77" in data["build-system"]["requires"]  # the first to read the SPDX form
    # A folder Python can import that `packages` leaves out makes setuptools warn "would be ignored".
    listed = set(data["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "summarizer").rglob("*.j2")}
    assert folders <= listed, folders - listed


def test_skipped_browser_tests_say_why_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "JIANDU_CHROMIUM": str(tmp_path / "no-chromium")}
    command = [sys.executable, "-m", "pytest", "tests/test_site_browser.py", "-q"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    reason = "no chromium on PATH (apt-get install -y chromium, or set JIANDU_CHROMIUM)"
    assert f"browser tests skipped (3): {reason}" in done.stdout
