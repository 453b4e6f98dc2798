"""The Dockerfile, .dockerignore and Slack manifest say what the code needs.

No Docker engine runs in CI, so the Dockerfile is read with a small line parser; its
HEALTHCHECK command is run for real against a served /healthz.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from running import bot_env, free_port, start_bot, wait_healthy

from mava_bridge import container
from mava_bridge.observability.health import health_routes
from mava_bridge.observability.metrics import Metrics
from mava_bridge.slack import callback_ids
from mava_sandbox.mava_server import running_mava_sandbox
from mava_sandbox.slack_stub import DEFAULT_APP_TOKEN, running_slack_stub
from mava_sandbox.socket_mode_server import running_socket_mode_server

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
MANIFEST = ROOT / "manifest.yml"
CONSTRAINTS = ROOT / "constraints.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# --- Dockerfile -----------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """Instructions grouped by stage (each FROM starts one); continuations joined."""
    stages: list[list[Instruction]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"instruction before FROM: {full}"
        stages[-1].append(instruction)
    assert not pending, "Dockerfile ends inside a continued line"
    return stages


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in stage:
        if item.keyword == "ENV":
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', item.args):
                env[key] = value.strip('"')
    return env


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(part, str) for part in value)
    return value


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return parse_dockerfile(DOCKERFILE.read_text())


def of(stage: list[Instruction], keyword: str) -> list[str]:
    return [item.args for item in stage if item.keyword == keyword]


def test_parser_handles_continuations_and_comments() -> None:
    parsed = parse_dockerfile("# c\nFROM a AS b\nRUN x \\\n  # note\n  && y\nFROM c\nUSER z\n")
    assert parsed == [
        [Instruction("FROM", "a AS b"), Instruction("RUN", "x  && y")],
        [Instruction("FROM", "c"), Instruction("USER", "z")],
    ]


def test_two_stages_on_the_python_version_we_support(stages: list[list[Instruction]]) -> None:
    assert len(stages) == 2
    builder, final = stages
    image = r"python:3\.11-slim(@sha256:[0-9a-f]{64})?"
    assert re.fullmatch(rf"{image} AS builder", builder[0].args, re.IGNORECASE)
    assert re.fullmatch(image, final[0].args)
    assert builder[0].args.split()[0] == final[0].args  # one base image for both
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_the_base_image_is_pinned_by_digest_or_the_readme_says_why_not(
    stages: list[list[Instruction]],
) -> None:
    if "@sha256:" in stages[1][0].args:
        return
    docker = README.read_text().split("\n## Docker", 1)[1].split("\n## ", 1)[0]
    assert "pinned by tag, not by digest" in docker
    assert "docker buildx imagetools inspect python:3.11-slim" in docker  # how to pin it


def test_builder_installs_runtime_dependencies_into_a_venv(
    stages: list[list[Instruction]],
) -> None:
    builder = stages[0]
    runs = " ".join(of(builder, "RUN"))
    assert "python -m venv /opt/venv" in runs
    assert "['project']['dependencies']" in runs  # runtime dependencies, from pyproject
    # ... at the versions the tests ran with.
    assert "pip install -r requirements.txt -c constraints.txt" in runs
    assert "pip install --no-deps ." in runs
    everything = DOCKERFILE.read_text()
    assert "[dev]" not in everything and "optional-dependencies" not in everything
    assert "-e ." not in everything and "--editable" not in everything
    for args in of(builder, "COPY"):
        for source in args.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert not ignored(source), f"{source} is excluded by .dockerignore"


def test_final_stage_copies_only_the_venv_and_runs_as_app(
    stages: list[list[Instruction]],
) -> None:
    final = stages[1]
    assert of(final, "COPY") == ["--from=builder /opt/venv /opt/venv"]
    assert not any("pip install" in args for args in of(final, "RUN"))
    assert "useradd --system --uid 10001 --gid app" in " ".join(of(final, "RUN"))
    # The entrypoint starts as root to hand /data to `app`, then runs CMD as `app`
    # (tests/process/test_container.py runs it); no USER would leave it unable to.
    assert of(final, "USER") == []
    (entrypoint,) = of(final, "ENTRYPOINT")
    assert exec_form(entrypoint) == ["python", "-m", "mava_bridge.container"]
    assert (container.APP_USER, str(container.DATA)) == ("app", "/data")


def test_final_stage_environment(stages: list[list[Instruction]]) -> None:
    env = env_of(stages[1])
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["PORT"] == "3000"
    assert env["DATABASE_URL"].startswith("sqlite+aiosqlite:////data/")
    assert of(stages[1], "EXPOSE") == ["3000"]


def test_cmd_runs_the_console_script(stages: list[list[Instruction]]) -> None:
    (cmd,) = of(stages[1], "CMD")
    assert exec_form(cmd) == ["mava-bot", "run"]
    assert "mava-bot" in PYPROJECT["project"]["scripts"]


def healthcheck_command(stages: list[list[Instruction]]) -> list[str]:
    (check,) = of(stages[1], "HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--timeout=" in options and "--interval=" in options
    return exec_form(command)


def test_healthcheck_uses_python_not_curl(stages: list[list[Instruction]]) -> None:
    """The probe is a module of the package (tests/process/test_container.py runs it
    against servers bound to one address and to all)."""
    command = healthcheck_command(stages)
    assert command == ["python", "-m", "mava_bridge.healthcheck"]
    assert (ROOT / "src" / "mava_bridge" / "healthcheck.py").is_file()
    assert "curl" not in DOCKERFILE.read_text().split("HEALTHCHECK", 1)[1]


async def healthcheck_exit(stages: list[list[Instruction]], port: int) -> int:
    """The HEALTHCHECK command as Docker runs it (python from PATH: this venv's here)."""
    command = healthcheck_command(stages)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 20)


@pytest.mark.parametrize(("healthy", "exit_ok"), [(True, True), (False, False)])
async def test_healthcheck_command_really_probes_healthz(
    stages: list[list[Instruction]], healthy: bool, exit_ok: bool
) -> None:
    async def check() -> None:
        if not healthy:
            raise RuntimeError("database down")

    app = web.Application()
    app.add_routes(health_routes({"database": check}, Metrics(), is_shutting_down=lambda: False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        returncode = await healthcheck_exit(stages, server.port)
    finally:
        await server.close()
    assert (returncode == 0) is exit_ok


async def test_healthcheck_fails_while_socket_mode_has_no_connection(
    stages: list[list[Instruction]], tmp_path: Path
) -> None:
    """`mava-bot run` in Socket Mode: healthy while connected, unhealthy (so Docker
    restarts it) once Slack's socket has been gone for SOCKET_MODE_UNHEALTHY_SECONDS."""
    async with (
        running_mava_sandbox(rate_limit=None) as mava,
        running_slack_stub() as slack,
        running_socket_mode_server(slack) as socket,
    ):
        port = free_port()
        env = bot_env(
            mava,
            slack,
            tmp_path,
            PORT=str(port),
            SLACK_APP_TOKEN=DEFAULT_APP_TOKEN,
            SOCKET_MODE_UNHEALTHY_SECONDS="1",
        )
        process = await start_bot(env, tmp_path, tmp_path / "bot.log")
        try:
            await socket.wait_for_connection(1, timeout=30)
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            assert await healthcheck_exit(stages, port) == 0
            await socket.refuse_connections()
            socket.drop()
            deadline = asyncio.get_running_loop().time() + 15
            while await healthcheck_exit(stages, port) == 0:
                assert asyncio.get_running_loop().time() < deadline, "never unhealthy"
                await asyncio.sleep(0.3)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


# --- constraints.txt ------------------------------------------------------------------


def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: version}."""
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            found[canonicalize_name(name)] = version.strip()
    return found


def runtime_requirements() -> list[Requirement]:
    return [Requirement(spec) for spec in PYPROJECT["project"]["dependencies"]]


def test_constraints_pin_every_runtime_dependency_within_pyproject() -> None:
    pinned = pins()
    for requirement in runtime_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in constraints.txt: run .ci/lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside pyproject's "
            f"{requirement.specifier}: run .ci/lock"
        )
    assert "pytest" not in pinned and "mypy" not in pinned  # the image gets no dev tools


def test_constraints_cover_the_whole_closure_and_are_what_the_tests_run_on() -> None:
    """Every package the runtime dependencies pull in (through their extras too) is
    pinned, and pinned at the version installed here: the tested one."""
    pinned = pins()
    queue = [(req.name, frozenset(req.extras)) for req in runtime_requirements()]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, extras = queue.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        dist = metadata.distribution(name)
        assert canonicalize_name(name) in pinned, f"{name} is not pinned: run .ci/lock"
        assert dist.version == pinned[canonicalize_name(name)], (
            f"{name} {dist.version} is installed, constraints.txt pins "
            f"{pinned[canonicalize_name(name)]}: install with -c constraints.txt"
        )
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            wanted = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker is None or any(requirement.marker.evaluate(e) for e in wanted):
                queue.append((requirement.name, frozenset(requirement.extras)))
    closure = {name for name, _ in seen}
    assert closure <= set(pinned)
    # Nothing pinned that the runtime does not need (uvloop is skipped on Windows only).
    assert set(pinned) - closure == set()


def test_the_lock_script_says_how_to_regenerate() -> None:
    header = [line for line in CONSTRAINTS.read_text().splitlines() if line.startswith("#")]
    assert any("regenerate with .ci/lock" in line for line in header)
    assert os.access(ROOT / ".ci" / "lock", os.X_OK)


# --- .dockerignore --------------------------------------------------------------------


def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """An approximation of Docker's matching, enough for the simple patterns we use."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in ignore_patterns():
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            name = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(name, bare)
            ):
                return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "venv/lib",
        "tests/packaging/test_dockerfile_manifest_readme.py",
        "src/mava_bridge/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v",
        ".mypy_cache/x",
        ".ruff_cache/x",
        ".hypothesis/examples",
        "mava-bot.db",
        "mava-bot.db-wal",
        ".env",
        ".env.production",
        "bench/results.json",
    ],
)
def test_dockerignore_keeps_local_state_and_secrets_out(path: str) -> None:
    assert ignored(path), path


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "src/mava_bridge/cli.py",
        "src/mava_bridge/store/migrations/env.py",
    ],
)
def test_dockerignore_keeps_what_the_build_needs(path: str) -> None:
    assert not ignored(path), path


def test_the_image_carries_the_runtime_package_only(
    stages: list[list[Instruction]], tmp_path: Path
) -> None:
    """The sandbox and the demo are a package apart: not copied into the image, not in
    the runtime wheel, and none of their dependencies among the runtime's."""
    copied = [source for args in of(stages[0], "COPY") for source in args.split()[:-1]]
    assert "src" in copied and not any(s.startswith("sandbox") for s in copied)
    assert ignored("sandbox/src/mava_sandbox/stack.py")
    # Built from a copy holding what the Dockerfile copies, so no stale build/ of the
    # working tree can add to it.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mava_slack_bridge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.startswith("mava_bridge/store/migrations/versions/") for name in names)
    assert not [name for name in names if not name.startswith(("mava_bridge/", "mava_slack"))]
    assert "rich" not in {req.name for req in runtime_requirements()}


# --- manifest.yml ---------------------------------------------------------------------

# Web API methods the bot may call -> the bot scopes that allow it (any one; () = none).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "api_test": (),
    "auth_test": (),
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_delete": ("chat:write",),
    "chat_getPermalink": (),
    "chat_unfurl": ("links:write",),
    "views_open": (),
    "views_push": (),
    "views_update": (),
    "views_publish": (),
    "users_info": ("users:read",),
    "users_list": ("users:read",),
    "users_lookupByEmail": ("users:read.email",),
    "users_conversations": ("channels:read", "groups:read"),
    "usergroups_list": ("usergroups:read",),
    "usergroups_users_list": ("usergroups:read",),
    "conversations_open": ("im:write",),
    "conversations_info": ("channels:read", "groups:read"),
    "conversations_members": ("channels:read", "groups:read"),
    "conversations_history": ("channels:history", "groups:history", "im:history"),
    "conversations_replies": ("channels:history", "groups:history"),
    "reactions_add": ("reactions:write",),
    "files_info": ("files:read",),
    "files_upload_v2": ("files:write",),
}
# Event subscriptions -> the bot scope Slack requires for them.
EVENT_SCOPES: dict[str, str] = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "link_shared": "links:read",
    "reaction_added": "reactions:read",
}
# Event subscriptions -> the listener that handles them.
# Registered as `app.event("message")(listener)` (slack/listeners/__init__.py), or decorated.
EVENT_LISTENERS: dict[str, str] = {
    "message.channels": 'app.event("message")',
    "message.groups": 'app.event("message")',
    "link_shared": 'app.event("link_shared")',
    "app_home_opened": 'app.event("app_home_opened")',
    "reaction_added": 'app.event("reaction_added")',
}
# A Web API method called, or handed on to be called (`self._send(client.files_upload_v2,`).
_API_CALL = re.compile(
    r"\.((?:api|auth|chat|conversations|files|reactions|usergroups|users|views)_[A-Za-z0-9_]+)[(,]"
)
# Bolt's say() posts with chat.postMessage.
_SAY = re.compile(r"\bawait say\(")
_EMAIL = re.compile(r"""["']email["']|\.email\b""")


def bot_sources() -> dict[Path, str]:
    """Our code that talks to Slack: the runtime package (the sandbox is a package apart)."""
    return {path: path.read_text() for path in (ROOT / "src" / "mava_bridge").rglob("*.py")}


def methods_called() -> dict[str, list[str]]:
    calls: dict[str, list[str]] = {}
    for path, text in bot_sources().items():
        where = str(path.relative_to(ROOT))
        for method in _API_CALL.findall(text):
            calls.setdefault(method, []).append(where)
        if _SAY.search(text):
            calls.setdefault("chat_postMessage", []).append(where)
    return calls


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML (dev extra) reads manifest.yml")
    data = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(data, dict)
    return data


def bot_scopes(manifest: dict[str, Any]) -> list[str]:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "no user scopes: the bot acts as itself"
    return list(scopes["bot"])


def test_manifest_has_the_mava_command(manifest: dict[str, Any]) -> None:
    assert len(manifest["display_information"]["name"]) <= 35
    assert len(manifest["display_information"]["description"]) <= 140
    assert manifest["features"]["bot_user"]["display_name"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/mava"
    assert command["should_escape"] is True
    assert command["description"] and command["usage_hint"]
    assert "url" not in command  # Socket Mode by default; HTTP mode URL is commented


def test_manifest_shortcuts_match_the_listeners(manifest: dict[str, Any]) -> None:
    shortcuts = {item["callback_id"]: item for item in manifest["features"]["shortcuts"]}
    assert set(shortcuts) == {
        callback_ids.SHORTCUT_ADD_NOTE,
        callback_ids.SHORTCUT_REPLY,
        callback_ids.SHORTCUT_CREATE,
    }
    assert shortcuts[callback_ids.SHORTCUT_CREATE]["name"] == "Create Mava ticket"
    assert shortcuts[callback_ids.SHORTCUT_ADD_NOTE]["name"] == "Add as private note"
    assert shortcuts[callback_ids.SHORTCUT_REPLY]["name"] == "Reply to customer"
    for item in shortcuts.values():
        assert item["type"] == "message"
        assert item["description"]


def test_manifest_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    # Messages in followed ticket threads (slack/listeners/events.py), pasted ticket
    # links (slack/listeners/unfurls.py), reactions that act (slack/listeners/actions.py).
    assert settings["event_subscriptions"]["bot_events"] == [
        "message.channels",
        "message.groups",
        "link_shared",
        "app_home_opened",
        "reaction_added",
    ]
    assert "request_url" not in settings["event_subscriptions"]  # HTTP mode: commented
    sources = bot_sources()
    for event in settings["event_subscriptions"]["bot_events"]:
        assert any(EVENT_LISTENERS[event] in text for text in sources.values()), event


def test_manifest_enables_the_home_tab(manifest: dict[str, Any]) -> None:
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True  # App Home (slack/listeners/home.py)
    assert home["messages_tab_enabled"] is True  # the bot's direct messages


def test_manifest_http_mode_urls_are_commented_and_valid_when_uncommented() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (dev extra) reads manifest.yml")
    text = MANIFEST.read_text()
    url = "https://YOUR-HOST/slack/events"
    assert f"# HTTP mode: url: {url}" in text
    assert f"# HTTP mode: request_url: {url}" in text
    http = yaml.safe_load(
        text.replace("# HTTP mode: url:", "url:").replace(
            "# HTTP mode: request_url:", "request_url:"
        )
    )
    assert http["features"]["slash_commands"][0]["url"] == url
    assert http["settings"]["interactivity"]["request_url"] == url
    assert http["settings"]["event_subscriptions"]["request_url"] == url


def test_every_scope_is_used(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    assert len(scopes) == len(set(scopes))
    calls = methods_called()
    sources = bot_sources()
    unused = []
    for scope in scopes:
        if scope == "commands":
            used = bool(manifest["features"].get("slash_commands")) or bool(
                manifest["features"].get("shortcuts")
            )
        elif scope in EVENT_SCOPES.values():
            events = manifest["settings"].get("event_subscriptions", {}).get("bot_events", [])
            used = any(
                EVENT_SCOPES.get(event) == scope
                and any(EVENT_LISTENERS[event] in text for text in sources.values())
                for event in events
            )
        elif scope == "users:read.email":
            # users.info only fills profile.email with this scope.
            used = "users_info" in calls and any(_EMAIL.search(t) for t in sources.values())
        else:
            used = any(scope in METHOD_SCOPES.get(method, ()) for method in calls)
        if not used:
            unused.append(scope)
    assert not unused, f"scopes nothing in bot/ needs: {unused}"
    assert "chat:write.public" not in scopes  # the bot posts only where it was invited


def test_every_method_called_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = set(bot_scopes(manifest))
    calls = methods_called()
    unknown = {method: where for method, where in calls.items() if method not in METHOD_SCOPES}
    assert not unknown, f"add these Web API methods to METHOD_SCOPES: {unknown}"
    missing = {
        method: (METHOD_SCOPES[method], where)
        for method, where in calls.items()
        if METHOD_SCOPES[method] and not scopes & set(METHOD_SCOPES[method])
    }
    assert not missing, f"manifest.yml lacks the scope these calls need: {missing}"


# --- README, LICENSE ------------------------------------------------------------------

README = ROOT / "README.md"
_LINK = re.compile(r"\]\(([^)\s]+)[^)]*\)|<([^>\s]+)>")


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped,
    spaces as hyphens)."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def bad_links(path: Path, text: str) -> list[str]:
    """Relative links in `text` (a document at `path`) that leave the repository, point
    at nothing, or name an anchor no heading of the target has."""
    found = []
    for a, b in _LINK.findall(text):
        link = a or b
        if re.match(r"[a-z][a-z0-9+.-]*:", link):
            continue  # a URL
        file, _, anchor = link.partition("#")
        target = (path.parent / file).resolve() if file else path
        missing = not target.is_relative_to(ROOT) or not target.exists()
        if missing or (
            anchor and target.suffix == ".md" and anchor not in anchors(target.read_text())
        ):
            found.append(link)
    return found


@pytest.mark.parametrize("document", ["README.md", "docs/ARCHITECTURE.md", "docs/FEATURES.md"])
def test_no_link_leaves_the_repository(document: str) -> None:
    path = ROOT / document
    assert bad_links(path, path.read_text()) == []


def test_the_link_check_finds_what_the_readme_once_had() -> None:
    old = "See [ARCHITECTURE](../shared/docs/ARCHITECTURE.md), [gone](docs/NOPE.md)."
    kept = "[manifest](manifest.yml), <https://api.slack.com/apps>, [top](#mava-slack-bridge)"
    assert bad_links(README, old + kept) == ["../shared/docs/ARCHITECTURE.md", "docs/NOPE.md"]
    # Sections moved to docs/FEATURES.md: an anchor left pointing at the README is caught.
    moved = "[threads](#ticket-threads), [ok](docs/FEATURES.md#ticket-threads)"
    assert bad_links(README, moved + ", [ref](#mava-reference)") == ["#ticket-threads"]


def readme_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)
    (found,) = [block for block in blocks if containing in block]
    return "\n".join(line.strip() for line in found.splitlines())


def test_the_readme_env_example_works_pasted_into_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as pydantic-settings reads `.env` (python-dotenv), the example gives each
    variable its own value, and the settings it makes are complete and valid."""
    from dotenv import dotenv_values

    from mava_bridge.settings import FOR_RUN, Settings, read_settings

    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(readme_block("dotenv", "SLACK_BOT_TOKEN=") + "\n")
    values = dotenv_values(tmp_path / ".env")
    assert sorted(values) == [
        "ALERT_CHANNEL",
        "DIGEST_CHANNEL",
        "MAVA_API_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]
    assert all(value and " " not in value for value in values.values())
    settings, problems = read_settings(FOR_RUN)
    assert problems == [] and settings is not None
    assert settings.socket_mode
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == values["SLACK_BOT_TOKEN"]
    assert (settings.digest_channel, settings.alert_channel) == (
        values["DIGEST_CHANNEL"],
        values["ALERT_CHANNEL"],
    )


def test_ci_runs_the_readme_test_command() -> None:
    command = readme_block("bash", "pytest")
    install = re.search(r"pip install (-e '\.\[dev\]'[^&]*?)\s*&&", command)
    assert install is not None and "-c constraints.txt" in install.group(1)
    assert command.rstrip().endswith("&& pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"pip install -q {install.group(1)}\n" in ci
    assert ci.rstrip().endswith("\npytest")


def test_python_version_and_license_are_stated() -> None:
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert "You need Python 3.11 or newer" in README.read_text()
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 mava-slack bridge contributors" in text


def test_the_unfurl_domain_is_the_default_dashboards_host(manifest: dict[str, Any]) -> None:
    """Slack sends link_shared only for the manifest's unfurl domains: the host the bot
    links tickets to (Settings.ticket_url), so a pasted dashboard link unfurls."""
    from urllib.parse import urlsplit

    from mava_bridge.settings import Settings

    url = Settings.model_construct().ticket_url("0" * 24)
    assert manifest["features"]["unfurl_domains"] == [urlsplit(url).hostname]


# --- /mava help and the README's reference table ----------------------------------------


def readme_command_rows() -> list[tuple[str, str]]:
    """The README's `/mava` reference table: (command cell, description) per row, with
    markdown's `\\|` read as `|` and `…` as `...`."""
    text = README.read_text().split("\n## `/mava` reference", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in text.splitlines():
        if line.startswith("| `/mava"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            command, description = cells[0], cells[1]
            rows.append((command.replace("\\|", "|").replace("…", "..."), description))
    return rows


def test_every_help_usage_line_is_in_the_readme_table_in_the_same_order() -> None:
    """`/mava help` (slack/command/help.py) and the README list the same commands, each
    with the same usage line, in the same order."""
    from mava_bridge.slack.command.help import HELP_ENTRIES

    readme = [command for command, _ in readme_command_rows()]
    assert readme == [f"`{entry.syntax}`" for entry in HELP_ENTRIES]


def test_the_help_table_check_reads_what_the_readme_once_had() -> None:
    row = "| `/mava priority TICKET low\\|medium\\|high\\|1\\|2\\|3` | set the priority |"
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
    assert cells == ["`/mava priority TICKET low\\|medium\\|high\\|1\\|2\\|3`", "set the priority"]
    assert readme_command_rows()  # the table is found
