"""The Docker image's entrypoint: hand /data to the app user, then run the command as it.

A volume on /data is often owned by root, and the app user could not create its SQLite
file there; the container starts as root only for this. Started with `--user` it changes
nothing and says so if /data is not writable."""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Sequence
from pathlib import Path

DATA = Path("/data")
APP_USER = "app"


def hand_over(folder: Path, uid: int, gid: int) -> None:
    if not folder.is_dir():
        return
    for path in [folder, *folder.rglob("*")]:
        stat = path.lstat()
        if (stat.st_uid, stat.st_gid) != (uid, gid):
            os.lchown(path, uid, gid)


def drop_to(uid: int, gid: int, home: str) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.environ["HOME"] = home


def run(command: Sequence[str], folder: Path = DATA, user: str = APP_USER) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(user)
        hand_over(folder, account.pw_uid, account.pw_gid)
        drop_to(account.pw_uid, account.pw_gid, account.pw_dir)
    elif folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        print(
            f"mava-bot: {folder} is not writable by uid {os.getuid()}; the SQLite database "
            f"cannot be created there. Run the container without --user (it hands {folder} "
            f"to the app user itself), or chown the volume to uid {os.getuid()}.",
            file=sys.stderr,
        )
    os.execvp(command[0], list(command))


def main(argv: Sequence[str] | None = None) -> None:
    command = list(sys.argv[1:] if argv is None else argv) or ["mava-bot", "run"]
    run(command)


if __name__ == "__main__":
    main()
