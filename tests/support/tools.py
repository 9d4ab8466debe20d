"""Debian tools the tests drive: a missing one fails the test, never skips it."""

from __future__ import annotations

import shutil

import pytest


def require(tool: str, packages: str) -> str:
    """The tool's path; a missing tool fails, naming the packages to install."""
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: apt-get install {packages} (.ci/run does)")
    return found
