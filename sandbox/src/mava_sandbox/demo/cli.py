"""`mava-bot demo [--script FILE] [--seed N] [--tickets N] [--no-color]`.

Three ways in: a script file, piped stdin (both run every line, then exit) or an
interactive prompt. Interactively the event loop that serves the bot runs in a
background thread, so the main thread can block in `input()`: readline editing and
history work, and Ctrl-C / Ctrl-D behave as in any shell.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sys
import threading
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from rich.console import Console

from mava_sandbox.demo.session import (
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DemoSession,
    open_demo,
    run_demo,
)

T = TypeVar("T")

# Loggers that would otherwise print a line per request during the demo.
_NOISY = ("httpx", "httpcore", "aiohttp.access", "slack_bolt", "slack_sdk", "apscheduler")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mava-bot demo",
        description=(
            "Try the bridge with no accounts: a Mava sandbox, a local Slack stub and the bot "
            "run in this process. Type /mava commands and see what Slack would show."
        ),
    )
    parser.add_argument(
        "--script", type=Path, metavar="FILE", help="run the lines of FILE instead of a prompt"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="N",
        help="sandbox seed (default %(default)s)",
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=DEFAULT_TICKETS,
        metavar="N",
        help="tickets in the sandbox (default %(default)s)",
    )
    parser.add_argument("--no-color", action="store_true", help="plain text output")
    return parser


@contextlib.contextmanager
def quiet_logging(level: int = logging.WARNING) -> Iterator[None]:
    """Only warnings and errors while the demo runs, so the screen shows the demo."""
    names = ["", *_NOISY]
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, old in saved.items():
            logging.getLogger(name).setLevel(old)


def make_console(stdout: TextIO, *, no_color: bool) -> Console:
    """Plain text when not a terminal (pipes, tests). rich's own `:code:` and markup
    parsing is off: Slack's text is drawn by mava_sandbox.demo.render, emoji included. A reader
    that leaves early (`| head`) ends the demo quietly with exit code 1: rich's
    `Console.on_broken_pipe` does what the Python docs' note on SIGPIPE advises."""
    is_tty = stdout.isatty()
    return Console(
        file=stdout,
        force_terminal=None if is_tty else False,
        no_color=no_color,
        color_system=None if no_color else "auto",
        highlight=False,
        emoji=False,
        markup=False,
    )


def run_demo_cli(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Entry point of `mava-bot demo`; returns the exit code (0 when the demo ran)."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help or a bad option: argparse already printed why
        return int(exc.code or 0)
    stdin = stdin if stdin is not None else sys.stdin
    console = make_console(stdout if stdout is not None else sys.stdout, no_color=args.no_color)
    if args.tickets < 0:
        console.print("mava-bot demo: --tickets must be 0 or more")
        return 2

    lines: list[str] | None = None
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            console.print(f"mava-bot demo: cannot read {args.script}: {exc.strerror or exc}")
            return 2
    elif not stdin.isatty():
        lines = stdin.read().splitlines()

    with quiet_logging():
        if lines is not None:
            asyncio.run(run_demo(lines, console, seed=args.seed, tickets=args.tickets))
        else:
            _interactive(console, seed=args.seed, tickets=args.tickets)
    return 0


# --- Interactive ----------------------------------------------------------------------------


@dataclass
class _Question:
    text: str
    default: str
    answer: concurrent.futures.Future[str]


class _LoopThread:
    """The demo's event loop in a daemon thread; the main thread keeps the keyboard."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="mava-demo", daemon=True)
        self._questions: queue.Queue[_Question] = queue.Queue()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()

    async def ask(self, question: str, *, default: str = "") -> str:
        """Called on the loop: hand the question to the main thread and wait for it."""
        answer: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._questions.put(_Question(question, default, answer))
        return await asyncio.wrap_future(answer)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop, answering its questions here; Ctrl-C cancels it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            while True:
                try:
                    return future.result(timeout=0.05)
                except TimeoutError:
                    pass
                with contextlib.suppress(queue.Empty):
                    question = self._questions.get_nowait()
                    question.answer.set_result(_read(question))
        except BaseException:
            future.cancel()
            raise


def _prompt(text: str, styled: bool) -> str:
    # \001 and \002 tell readline the escape codes take no room on screen.
    return f"\001\033[1;32m\002{text}\001\033[0m\002" if styled else text


def _read(question: _Question) -> str:
    # Nothing is put on the line to edit: what is typed replaces the value, as in a form.
    answer = input(question.text)
    return answer if answer.strip() else question.default


def _interactive(console: Console, *, seed: int, tickets: int) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - importing it gives input() line editing and history

    runner = _LoopThread()
    runner.start()
    started: concurrent.futures.Future[DemoSession] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def hold() -> None:
        # One task owns the stack from start to end, so it is entered and left alike.
        try:
            async with open_demo(console, seed=seed, tickets=tickets, ask=runner.ask) as session:
                started.set_result(session)
                await stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    holder = asyncio.run_coroutine_threadsafe(hold(), runner.loop)
    styled = console.is_terminal and not console.no_color
    try:
        session = started.result()
        runner.call(session.start())
        console.print("Type help for what you can do, quit to leave.", style="dim")
        while not session.finished:
            try:
                line = input(_prompt("mava> ", styled))
            except EOFError:
                console.print()
                break
            except KeyboardInterrupt:
                console.print()
                break
            try:
                runner.call(session.run_line(line))
            except KeyboardInterrupt:
                console.print("(interrupted)", style="yellow")
    finally:
        runner.loop.call_soon_threadsafe(stop.set)
        with contextlib.suppress(Exception):
            holder.result(timeout=15)
        runner.stop()
    console.print("Bye. The sandbox and the stub were only in memory; nothing was kept.")


if __name__ == "__main__":
    raise SystemExit(run_demo_cli())
