"""A PostgreSQL server of the scenario's own, so it can be stopped and started without
touching the machine's shared one that the rest of the suite uses."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from doorstep_local.broker import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return (BIN / "initdb").exists()


class PostgresServer:
    """initdb into a fresh directory, then ``start``/``stop`` (fast shutdown: connections
    are cut, as when the database fails over or is restarted for maintenance)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="doorstep-pg-"))
        self._data = self._root / "data"
        owner = pwd.getpwnam("postgres")
        os.chown(self._root, owner.pw_uid, owner.pw_gid)
        self._as_postgres(
            [str(BIN / "initdb"), "-D", str(self._data), "-A", "trust", "-U", "postgres"]
        )

    @staticmethod
    def _as_postgres(command: list[str], check: bool = True) -> None:
        # The server refuses to run as root.
        as_postgres = os.getuid() == pwd.getpwnam("postgres").pw_uid
        runner = [] if as_postgres else ["runuser", "-u", "postgres", "--"]
        subprocess.run([*runner, *command], check=check, capture_output=True, timeout=120)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1"
        log = str(self._root / "server.log")
        self._pg_ctl("-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def _pg_ctl(self, *arguments: str, check: bool = True) -> None:
        self._as_postgres([str(BIN / "pg_ctl"), "-D", str(self._data), *arguments], check=check)

    def destroy(self) -> None:
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self._root, ignore_errors=True)
