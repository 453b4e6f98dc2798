"""The `mava-bot` console script: one subcommand per way of running the bridge."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _run(argv: list[str]) -> int:
    from bot.serve import run_cli

    return run_cli(argv)


def _demo(argv: list[str]) -> int:
    from bot.demo.cli import run_demo_cli

    return run_demo_cli(argv)


def _check(argv: list[str]) -> int:
    from bot.check import check_cli

    return check_cli(argv)


def _digest(argv: list[str]) -> int:
    from bot.digest.cli import digest_cli

    return digest_cli(argv)


def _sandbox(argv: list[str]) -> int:
    from bot.sandbox.mava_server import run_sandbox_cli

    return run_sandbox_cli(argv)


# Imports happen inside each command so `--help` and `check` start fast.
COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "run": ("run the bridge (Socket Mode or HTTP mode)", _run),
    "demo": ("try it with no accounts: Mava sandbox + Slack stub + bot in one process", _demo),
    "check": ("check settings, Slack, Mava and the database", _check),
    "digest": ("print the digest that would be posted (--preview)", _digest),
    "sandbox": ("run the local Mava API sandbox", _sandbox),
}

USAGE = "usage: mava-bot COMMAND [options]\n\nWork Mava tickets from Slack.\n\ncommands:\n" + (
    "\n".join(f"  {name:<9} {about}" for name, (about, _) in COMMANDS.items())
    + "\n\nRun `mava-bot COMMAND --help` for the options of a command."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"mava-bot: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return COMMANDS[name][1](rest)


if __name__ == "__main__":
    raise SystemExit(main())
