"""The built wheel installs everything under ``cxpulse``, beside a package that owns
a top-level ``agents`` (as openai-agents does): both import, neither overwrites."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def tracked_copy(dest: Path) -> Path:
    """The files git tracks (links as links): the wheel is built from what is committed,
    and the build leaves nothing in the working tree."""
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def test_the_wheel_lives_in_one_namespace_beside_another_agents(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    source = tracked_copy(tmp_path / "source")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
        "-w", wheels, source)
    (wheel,) = wheels.glob("cxpulse-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == {"cxpulse"}

    other = tmp_path / "other"
    (other / "agents").mkdir(parents=True)
    (other / "agents" / "__init__.py").write_text('OWNER = "another distribution"\n')
    (other / "pyproject.toml").write_text(
        '[project]\nname = "another-agents"\nversion = "1.0"\n'
        '[tool.setuptools]\npackages = ["agents"]\n')
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
        "-w", wheels, other)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    # pip from this environment installs into the fresh one, from the two wheels only.
    for wheel_file in sorted(wheels.glob("*.whl")):
        run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
            "--no-deps", "--no-index", wheel_file)
    out = run(python, "-c", (
        "import agents, cxpulse.agents, cxpulse.streams, cxpulse.schemas, pathlib\n"
        "from importlib import resources\n"
        "print(agents.OWNER)\n"
        "print(sorted(p.name for p in pathlib.Path(cxpulse.agents.__file__).parent.glob('*.py'))"
        "[:3])\n"
        "print(len([f for f in resources.files('cxpulse.schemas').joinpath('json').iterdir()]))\n"
        "print((resources.files('cxpulse') / 'livepage' / 'index.html').is_file())\n"),
        cwd=tmp_path)
    owner, modules, schemas, page = out.splitlines()
    assert owner == "another distribution"
    assert modules == "['__init__.py', 'agents.py', 'contacts.py']"
    assert int(schemas) == len(list((ROOT / "schemas" / "json").glob("*.json")))
    assert page == "True"
