"""The `mava-bot` console script: one subcommand per way of running the bridge."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, entry_points, version

Command = Callable[[list[str]], int]


def _lazy(module: str, name: str) -> Command:
    """Imported when the command runs, so `--help` and `check` start fast."""

    def run(argv: list[str]) -> int:
        command: Command = getattr(import_module(module), name)
        return command(argv)

    return run


def _plugin(name: str) -> Command:
    """A command the sandbox package plugs in through the `mava_bridge.commands` entry
    points: the runtime package does not carry it."""

    def run(argv: list[str]) -> int:
        found = entry_points(group="mava_bridge.commands", name=name)
        if not found:
            print(
                f"mava-bot {name} comes with the sandbox package, which is not installed: "
                "in a clone, run `pip install -e ./sandbox`; installed with pipx, run "
                "`pipx inject mava-slack-bridge PATH-OR-GIT-URL-OF/sandbox` (README, Install "
                "without cloning).",
                file=sys.stderr,
            )
            return 2
        command: Command = next(iter(found)).load()
        return command(argv)

    return run


COMMANDS: dict[str, tuple[str, Command]] = {
    "run": ("run the bridge (Socket Mode or HTTP mode)", _lazy("mava_bridge.serve", "run_cli")),
    "demo": (
        "try it with no accounts: Mava sandbox + Slack stub + bot in one process",
        _plugin("demo"),
    ),
    "check": (
        "check settings, Slack, Mava and the database",
        _lazy("mava_bridge.check", "check_cli"),
    ),
    "digest": (
        "print the digest that would be posted (--preview)",
        _lazy("mava_bridge.preview", "digest_cli"),
    ),
    "sandbox": ("run the local Mava API sandbox", _plugin("sandbox")),
}

USAGE = "usage: mava-bot COMMAND [options]\n\nWork Mava tickets from Slack.\n\ncommands:\n" + (
    "\n".join(f"  {name:<9} {about}" for name, (about, _) in COMMANDS.items())
    + "\n\nRun `mava-bot COMMAND --help` for the options of a command; "
    "`mava-bot --version` for the version."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if args else 2
    if args[0] in {"--version", "-V"}:
        try:
            print(f"mava-bot {version('mava-slack-bridge')}")
        except PackageNotFoundError:
            print("mava-bot unknown (the mava-slack-bridge package is not installed)")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"mava-bot: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return COMMANDS[name][1](rest)


if __name__ == "__main__":
    raise SystemExit(main())
