"""The Docker entrypoint (mava_bridge/container.py): a root-owned /data is handed to the
app user before the bot runs as that user; started as a non-root user it changes nothing and says
why /data will not work. Run for real: processes change owners and users here (as root,
like the container's start), with the stock `nobody` account standing in for `app`."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="changing owners and users needs root, as the container has"
)


@pytest.fixture
def volume() -> Iterator[Path]:
    """A root-owned folder with a file in it, reachable by other users (unlike tmp_path)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as outer:
        Path(outer).chmod(0o755)
        data = Path(outer) / "data"
        data.mkdir(mode=0o755)
        (data / "old.db").write_text("")
        yield data


def entrypoint(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_root_owned_volume_is_handed_to_the_app_user(volume: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    script = f"id -u; id -g; touch {volume}/bot.db"
    result = entrypoint(
        "from pathlib import Path; from mava_bridge.container import run; "
        f"run(['/bin/sh', '-c', {script!r}], Path({str(volume)!r}), 'nobody')"
    )
    assert result.returncode == 0, result.stderr
    # The command ran as the app user, not as root ...
    assert result.stdout.split() == [str(nobody.pw_uid), str(nobody.pw_gid)]
    # ... and could create its database, next to what was there, all the app user's.
    for path in (volume, volume / "old.db", volume / "bot.db"):
        stat = path.stat()
        assert (stat.st_uid, stat.st_gid) == (nobody.pw_uid, nobody.pw_gid), path


def test_started_as_another_user_it_changes_nothing_and_says_why(volume: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    result = entrypoint(
        "from pathlib import Path; from mava_bridge.container import drop_to, run; "
        f"drop_to({nobody.pw_uid}, {nobody.pw_gid}, '/'); "
        f"run(['/bin/sh', '-c', 'id -u'], Path({str(volume)!r}))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(nobody.pw_uid)]
    assert result.stderr == (
        f"mava-bot: {volume} is not writable by uid {nobody.pw_uid}; the SQLite database "
        "cannot be created there. Run the container without --user (it hands "
        f"{volume} to the app user itself), or chown the volume to uid {nobody.pw_uid}.\n"
    )
    assert volume.stat().st_uid == 0
