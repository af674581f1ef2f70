"""The layers of ``.importlinter`` hold, and `lint-imports` notices when one is broken."""
import shutil
import subprocess
import sys
from pathlib import Path

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
