"""The library runs in a processing container: no web framework, no AWS SDK, fast ``--help``."""
import subprocess
import sys

MODULES = ["analyzer", "api", "arrays", "capture", "cli", "constraints", "drift", "dtypes", "hll", "html_report",
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


def test_jobs_never_import_pandas(tmp_path):
    """pyarrow imports pandas (0.2 s) on a first ``to_numpy`` or ``pa.array``; the jobs get by without both."""
    data = tmp_path / "d.csv"
    data.write_text("x,n,s,u,t,b\n" + "".join(f"{i / 3},{i},{'ab'[i % 2]},u{i},{i}.5,{'true' if i % 3 else ''}\n"
                                             for i in range(5000)))
    code = ("import sys\nfrom sagelocal.monitor import api\n"
            f"api.run_baseline({str(data)!r}, {str(tmp_path / 'base')!r}, header=True)\n"
            f"api.run_monitoring({str(data)!r}, 'csv', {str(tmp_path / 'base' / 'statistics.json')!r}, "
            f"{str(tmp_path / 'base' / 'constraints.json')!r}, {str(tmp_path / 'run')!r}, header=True)\n"
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
