"""Where the runtime keeps its files, and the identity (region, account) it answers as."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".sagelocal"


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    ``home`` holds everything the runtime writes: ``home/s3/<bucket>/<key>`` is the local S3, and
    ``home/<name>.db`` the SQLite store of each room. Set it with ``SAGELOCAL_HOME``; the default is
    ``.sagelocal`` under the working directory.
    """

    home: Path
    region: str = "us-east-1"
    account_id: str = "000000000000"
    # Seconds the server waits for a client's next bytes while it sends a request's headers or body.
    read_timeout: float = 20.0
    # The local server jobs reach with their own AWS calls (AWS_ENDPOINT_URL); set by whoever runs that server.
    endpoint_url: str | None = None
    # How jobs are isolated: "bubblewrap" (each in its own namespaces) or "none" (SAGELOCAL_JOB_ISOLATION).
    job_isolation: str = "bubblewrap"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        home = Path(env.get("SAGELOCAL_HOME", DEFAULT_HOME)).resolve()
        return cls(
            home=home,
            region=env.get("SAGELOCAL_REGION", cls.region),
            account_id=env.get("SAGELOCAL_ACCOUNT_ID", cls.account_id),
            read_timeout=float(env.get("SAGELOCAL_READ_TIMEOUT", cls.read_timeout)),
            job_isolation=env.get("SAGELOCAL_JOB_ISOLATION", cls.job_isolation),
        )

    @property
    def s3_root(self) -> Path:
        return self.home / "s3"

    def db_path(self, name: str) -> Path:
        self.make_home()
        return self.home / f"{name}.db"

    def make_home(self) -> None:
        """Create the home readable by its owner only (0700), and close up one an older version left open."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.home.stat().st_mode & 0o077:
            self.home.chmod(0o700)

    def arn(self, resource_type: str, name: str, service: str = "sagemaker") -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource_type}/{name}"
