"""Run the AWS CLI and the SageMaker SDK as a user would, pointed at a local server, under the network guard."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sagelocal.credentials import PROFILE, credentials_path

TESTS = Path(__file__).resolve().parents[1]
# The guard, then the program as its own __main__; an attempt that the program swallowed still fails the run.
_GUARDED = ("import atexit, os, runpy, sys; sys.path.insert(0, {tests!r}); import netguard; netguard.install(); "
            "atexit.register(lambda: netguard.ATTEMPTS and (print('NETWORK ATTEMPTS', netguard.ATTEMPTS, "
            "file=sys.stderr), os._exit(97))); ")


def client_env(server) -> dict[str, str]:
    """The README's way: the server's credentials file and profile; nothing from this machine's AWS setup."""
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials_path(server.settings)),
           "AWS_PROFILE": PROFILE, "AWS_DEFAULT_REGION": server.settings.region, "AWS_CONFIG_FILE": os.devnull}
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PYTHONPATH"):
        env.pop(variable, None)
    return env


def _aws_script() -> tuple[str, str] | None:
    """``(python, script)`` of the AWS CLI: the project venv's, else the one on PATH (a pyenv shim resolved)."""
    candidates = [Path(sys.executable).with_name("aws")]
    on_path = shutil.which("aws")
    if on_path and "pyenv" in on_path:
        resolved = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True)
        on_path = resolved.stdout.strip() if resolved.returncode == 0 else None
    candidates += [Path(on_path)] if on_path else []
    for script in candidates:
        if script.is_file():
            first_line = script.read_text(errors="replace").splitlines()[0]
            if first_line.startswith("#!") and "python" in first_line:
                return first_line[2:].strip(), str(script)
    return None


def aws(server, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``aws ARGS --endpoint-url URL``; skips the test when no AWS CLI is installed."""
    found = _aws_script()
    if found is None:
        pytest.skip("the AWS CLI is not installed (pip install awscli, as requirements.txt lists it)")
    python, script = found
    code = _GUARDED.format(tests=str(TESTS)) + f"sys.argv = ['aws', *sys.argv[1:]]; runpy.run_path({script!r}, " \
                                               "run_name='__main__')"
    return subprocess.run([python, "-c", code, *args, "--endpoint-url", server.url], env=client_env(server),
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def python_client(server, program: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``program`` in this venv's Python with ``AWS_ENDPOINT_URL`` set to the server."""
    env = {**client_env(server), "AWS_ENDPOINT_URL": server.url}
    return subprocess.run([sys.executable, "-c", _GUARDED.format(tests=str(TESTS)) + "exec(sys.argv[1])", program],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
