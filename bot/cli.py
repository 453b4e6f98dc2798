"""The `mava-bot` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence


def _sandbox(argv: list[str]) -> int:
    from bot.sandbox.mava_server import run_sandbox_cli

    return run_sandbox_cli(argv)


COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "sandbox": ("run the local Mava API sandbox (no account needed)", _sandbox),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="mava-bot",
        description="Work Mava tickets from Slack.",
        epilog="Run `mava-bot COMMAND --help` for the options of a command.",
    )
    parser.add_argument(
        "command",
        choices=sorted(COMMANDS),
        help="; ".join(f"{name}: {about}" for name, (about, _) in sorted(COMMANDS.items())),
    )
    if not args or args[0] in {"-h", "--help"}:
        parser.print_help()
        return 0 if args else 2
    parsed, rest = parser.parse_known_args(args[:1])
    return COMMANDS[parsed.command][1](args[1:] + rest)


if __name__ == "__main__":
    raise SystemExit(main())
