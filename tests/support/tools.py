"""Debian tools the tests drive: in CI (CI=true) a missing one fails, never skips."""

from __future__ import annotations

import os
import shutil

import pytest


def require(tool: str, packages: str) -> str:
    """The tool's path; fail in CI, skip elsewhere, naming the packages to install."""
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing: apt-get install {packages} (.ci/run does)")
        pytest.skip(f"{tool} is not installed (Debian package {packages})")
    return found
