"""The library runs in a processing container: no web framework, no AWS SDK, fast ``--help``."""
import subprocess
import sys

MODULES = ["analyzer", "api", "capture", "cli", "constraints", "drift", "dtypes", "hll", "html_report",
           "jsonfmt", "kll", "outputs", "profile", "reader", "violations"]
FORBIDDEN = ["boto3", "botocore", "fastapi", "starlette", "uvicorn", "requests", "httpx", "aiohttp"]


def test_no_web_or_aws_module_is_imported():
    code = ("import sys\n" + "".join(f"import sagelocal.monitor.{name}\n" for name in MODULES) +
            f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cli_module_imports_nothing_heavy():
    code = ("import sys, sagelocal.monitor.cli\n"
            "print(sorted(m for m in ('numpy', 'pyarrow', 'scipy', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr
