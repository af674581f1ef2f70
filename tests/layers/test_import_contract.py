"""The layers of ``.importlinter`` hold, and `lint-imports` notices when one is broken."""
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    # The tree's own sagelocal, not the installed one: lint-imports reads the package it imports.
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / ".importlinter"), "--no-cache"], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": ""}, capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "sagelocal", tree / "sagelocal", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tree)
    return tree


def _add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text() + f"\n{line}  # breaks a layer on purpose\n")


def test_the_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_backend_importing_the_http_layer_breaks_the_layers(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "sagelocal" / "hosting" / "backend.py", "import sagelocal.api.inbound")
    result = _lint(tree)
    assert result.returncode != 0
    assert "sagelocal.hosting is not allowed to import sagelocal.api" in result.stdout
    assert "sagelocal.hosting.backend -> sagelocal.api.inbound" in result.stdout


def test_one_backend_importing_another_breaks_the_layers(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "sagelocal" / "review" / "loops.py", "import sagelocal.hosting.backend")
    result = _lint(tree)
    assert result.returncode != 0
    assert "sagelocal.review.loops -> sagelocal.hosting.backend" in result.stdout


def test_the_monitor_importing_storage_or_the_web_breaks_its_contract(tmp_path):
    tree = _copy(tmp_path)
    _add_import(tree / "sagelocal" / "monitor" / "kll.py", "import sagelocal.storage\nimport starlette")
    result = _lint(tree)
    assert result.returncode != 0
    assert "sagelocal.monitor.kll -> sagelocal.storage" in result.stdout
    assert "sagelocal.monitor.kll -> starlette" in result.stdout


# The imports the contract once let through upward (issue 14): each now breaks it, as any import upward does.
UPWARD_IMPORTS = [
    ("engine/cli.py", "import sagelocal.api.background", "sagelocal.engine is not allowed to import sagelocal.api"),
    ("engine/step_requests.py", "import sagelocal.api.protocol",
     "sagelocal.engine is not allowed to import sagelocal.api"),
    ("engine/step_types.py", "import sagelocal.hosting", "sagelocal.engine is not allowed to import sagelocal.hosting"),
    ("jobs/job_environment.py", "import sagelocal.api.app", "sagelocal.jobs is not allowed to import sagelocal.api"),
    ("jobs/transform.py", "import sagelocal.hosting.backend",
     "sagelocal.jobs is not allowed to import sagelocal.hosting"),
    ("jobs/clarify_job.py", "import sagelocal.hosting.runtime",
     "sagelocal.jobs is not allowed to import sagelocal.hosting"),
]


@pytest.mark.parametrize("module, line, message", UPWARD_IMPORTS, ids=[m for m, _, _ in UPWARD_IMPORTS])
def test_the_engine_and_jobs_importing_a_layer_above_break_the_layers(tmp_path, module, line, message):
    tree = _copy(tmp_path)
    _add_import(tree / "sagelocal" / module, line)
    result = _lint(tree)
    assert result.returncode != 0
    assert message in result.stdout


def test_the_only_ignored_imports_are_between_rooms_of_one_layer():
    """An ``ignore_imports`` line may name a named interface between two backends, never a way upward."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    contract = parser["importlinter:contract:layers"]
    layers = [line.split("|") for line in contract["layers"].split("\n") if line.strip()]
    level = {room.strip(): index for index, rooms in enumerate(layers) for room in rooms}

    def layer_of(module: str) -> int:
        parts = module.strip().split(".")
        return next(level[".".join(parts[:n])] for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in level)

    ignored = [line for line in contract.get("ignore_imports", "").split("\n") if line.strip()]
    upward = [line for line in ignored if layer_of(line.split("->")[0]) != layer_of(line.split("->")[1])]
    assert upward == []
    for section in parser.sections():
        if section != "importlinter:contract:layers":
            assert not parser[section].get("ignore_imports"), section
