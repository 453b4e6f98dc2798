"""Settings: defaults, parsing, and a config mistake reported as one readable line per
problem (variable, what is wrong, how to fix it), never a traceback or a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from mava_bridge.mava.models import Priority
from mava_bridge.settings import FOR_MAVA, FOR_RUN, Settings, load_settings, read_settings
from mava_bridge.settings_problems import FIXES, describe_errors
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET
from mava_sandbox.slack_stub import DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN

ROOT = Path(__file__).resolve().parents[3]
SECRET = "xoxb-super-secret-token-4711"
MAVA_SECRET = "mava-secret-key-0815"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No setting from the outer environment or a `.env` in the working directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    yield


def settings_from(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    with pytest.raises(ValidationError) as info:
        settings_from(monkeypatch, **env)
    return describe_errors(info.value)


# --- Defaults and parsing ---------------------------------------------------------


def test_defaults() -> None:
    settings = Settings()
    assert settings.slack_bot_token is None
    assert settings.slack_signing_secret is None
    assert settings.slack_app_token is None
    assert str(settings.slack_api_url) == "https://slack.com/api/"
    assert settings.mava_api_token is None
    assert str(settings.mava_api_url).rstrip("/") == "https://gateway.mava.app"
    assert str(settings.mava_dashboard_url).rstrip("/") == "https://dashboard.mava.app"
    assert settings.mava_timeout_seconds == 10.0
    assert (settings.mava_rate_limit, settings.mava_rate_window_seconds) == (90, 30.0)
    assert settings.database_url == "sqlite+aiosqlite:///./mava-bot.db"
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 3000, "INFO")
    assert settings.allowed_slack_user_ids == ()
    assert settings.allowed_slack_usergroup_ids == ()
    assert settings.idempotency_window_seconds == 120.0
    assert settings.digest_channel is None and settings.alert_channel is None
    assert settings.digest_schedule == "0 9 * * 1-5"
    assert settings.digest_timezone == "UTC"
    assert settings.digest_skip_empty is False
    assert settings.alert_min_priority == "high"
    assert settings.alert_priority is Priority.HIGH
    assert settings.alert_unassigned is False
    assert settings.poll_interval_seconds == 60.0
    assert settings.socket_mode is False


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("U1", ("U1",)),
        ("U1,U2", ("U1", "U2")),
        (" U1 , U2 ,, U3 ,", ("U1", "U2", "U3")),
        ("", ()),
        (" , ", ()),
    ],
)
def test_comma_lists(monkeypatch: pytest.MonkeyPatch, raw: str, parsed: tuple[str, ...]) -> None:
    groups = raw.replace("U", "S")  # user group ids start with S
    settings = settings_from(
        monkeypatch, ALLOWED_SLACK_USER_IDS=raw, ALLOWED_SLACK_USERGROUP_IDS=groups
    )
    assert settings.allowed_slack_user_ids == parsed
    assert settings.allowed_slack_usergroup_ids == tuple(part.replace("U", "S") for part in parsed)


@pytest.mark.parametrize(
    ("name", "raw", "said"),
    [
        ("ALLOWED_SLACK_USER_IDS", "jane", "'jane' is not a Slack member id"),
        ("ALLOWED_SLACK_USER_IDS", "U0JANE,@sam", "'@sam' is not a Slack member id"),
        (
            "ALLOWED_SLACK_USER_IDS",
            "u0jane, S0GROUP",
            "'u0jane', 'S0GROUP' are not Slack member ids",
        ),
        ("ALLOWED_SLACK_USER_IDS", "U0JANE;U0SAM", "'U0JANE;U0SAM' is not a Slack member id"),
        ("ALLOWED_SLACK_USERGROUP_IDS", "@support", "'@support' is not a Slack user group id"),
        ("ALLOWED_SLACK_USERGROUP_IDS", "U0JANE", "'U0JANE' is not a Slack user group id"),
    ],
)
def test_an_allow_list_entry_that_is_no_slack_id_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, said: str
) -> None:
    """An allow-list of names would let nobody act, silently: ids are U.../W... (members)
    or S... (user groups), capitals and digits."""
    (line,) = problems(monkeypatch, **{name: raw})
    assert line == f"{name}: {said}; {FIXES[name]}."


def test_reaction_emoji_default_and_take_colons_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert (defaults.reaction_assign, defaults.reaction_resolve, defaults.reaction_create) == (
        "eyes",
        "white_check_mark",
        "ticket",
    )
    given = settings_from(
        monkeypatch, REACTION_ASSIGN=":raising_hand::skin-tone-3:", REACTION_CREATE="+1"
    )
    assert (given.reaction_assign, given.reaction_create) == ("raising_hand::skin-tone-3", "+1")


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"REACTION_ASSIGN": "Eyes!"}, "REACTION_ASSIGN: 'Eyes!' is not an emoji name"),
        ({"REACTION_RESOLVE": ":eyes:"}, "REACTION_RESOLVE: ':eyes:' is the emoji of another"),
        ({"REACTION_CREATE": "two words"}, "REACTION_CREATE: 'two words' is not an emoji name"),
    ],
)
def test_a_bad_or_shared_reaction_emoji_is_a_problem(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], said: str
) -> None:
    (line,) = problems(monkeypatch, **env)
    assert line.startswith(said)
    assert FIXES[next(iter(env))] in line


def test_member_ids_of_both_shapes_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        ALLOWED_SLACK_USER_IDS="U0123ABC, W0GRID99",
        ALLOWED_SLACK_USERGROUP_IDS="S0SUP",
    )
    assert settings.allowed_slack_user_ids == ("U0123ABC", "W0GRID99")
    assert settings.allowed_slack_usergroup_ids == ("S0SUP",)


def test_values_are_read_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        LOG_LEVEL="debug",
        ALERT_MIN_PRIORITY="Medium",
        DIGEST_SKIP_EMPTY="true",
        ALERT_UNASSIGNED="1",
        PORT="0",
        DIGEST_TIMEZONE="Europe/Berlin",
        DIGEST_SCHEDULE="30 8 * * *",
        DATABASE_URL="postgresql+asyncpg://bot@db/mava",
        SLACK_APP_TOKEN="xapp-1",
        mava_api_token="lower-case-name",
    )
    assert settings.log_level == "DEBUG"
    assert settings.alert_priority is Priority.MEDIUM
    assert settings.digest_skip_empty is True and settings.alert_unassigned is True
    assert settings.port == 0
    assert settings.socket_mode is True
    assert settings.mava_api_token is not None
    assert settings.mava_api_token.get_secret_value() == "lower-case-name"


def test_secrets_are_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, SLACK_BOT_TOKEN=SECRET, MAVA_API_TOKEN=MAVA_SECRET)
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert SECRET not in text and MAVA_SECRET not in text


def test_dotenv_is_read_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=4321\nALLOWED_SLACK_USER_IDS=U9, U8\n")
    settings = Settings()
    assert settings.port == 4321
    assert settings.allowed_slack_user_ids == ("U9", "U8")


# --- Ticket links ---------------------------------------------------------------------


def test_ticket_url_default_template() -> None:
    assert Settings().ticket_url("6650a1b2c3d4e5f678901234") == (
        "https://dashboard.mava.app/dashboard/ticket?id=6650a1b2c3d4e5f678901234"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"MAVA_DASHBOARD_URL": "https://help.example.com/"},
            "https://help.example.com/dashboard/ticket?id=abc",
        ),
        (
            {"MAVA_TICKET_URL_TEMPLATE": "{dashboard}/t/{ticket_id}"},
            "https://dashboard.mava.app/t/abc",
        ),
        (
            {"MAVA_TICKET_URL_TEMPLATE": "https://mava.example/tickets/{ticket_id}?ref=slack"},
            "https://mava.example/tickets/abc?ref=slack",
        ),
    ],
)
def test_ticket_url_template(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    assert settings_from(monkeypatch, **env).ticket_url("abc") == expected


# --- Invalid values -------------------------------------------------------------------

INVALID = [
    ("PORT", "abc"),
    ("PORT", "70000"),
    ("PORT", "-1"),
    ("LOG_LEVEL", "loud"),
    ("DATABASE_URL", "mysql://bot:hunter2-pw@db/mava"),
    ("DIGEST_SCHEDULE", "every morning"),
    ("DIGEST_TIMEZONE", "Mars/Olympus_Mons"),
    ("ALERT_MIN_PRIORITY", "urgent"),
    ("MAVA_API_URL", "gateway-without-scheme"),
    ("MAVA_DASHBOARD_URL", "ftp://dashboard.mava.app"),
    ("SLACK_API_URL", "not a url"),
    ("MAVA_TICKET_URL_TEMPLATE", "https://dashboard.mava.app/ticket"),
    ("MAVA_TICKET_URL_TEMPLATE", "{dashboard}/t/{ticket_id}/{tab}"),
    ("MAVA_TICKET_URL_TEMPLATE", "{dashboard}/t/{ticket_id}/{"),
    ("MAVA_TICKET_URL_TEMPLATE", "{dashboard}/t/{ticket_id.hex}{ticket_id}"),
    ("MAVA_TIMEOUT_SECONDS", "0"),
    ("MAVA_TIMEOUT_SECONDS", "soon"),
    ("MAVA_RATE_LIMIT", "0"),
    ("MAVA_RATE_WINDOW_SECONDS", "-5"),
    ("MAVA_RATE_FALLBACK_LIMIT", "0"),
    ("USER_CACHE_TTL_SECONDS", "-1"),
    ("IDEMPOTENCY_WINDOW_SECONDS", "0"),
    ("POLL_INTERVAL_SECONDS", "0.5"),
    ("DIGEST_SKIP_EMPTY", "perhaps"),
    ("ALERT_UNASSIGNED", "perhaps"),
    ("PUBLIC_URL", "bridge.example.com"),
    ("PUBLIC_URL", "ftp://bridge.example.com"),
    ("PUBLIC_URL", "https://bridge.example.com/?via=proxy"),
    ("PUBLIC_URL", "https://bridge.example.com/#files"),
    ("PUBLIC_URL", "https://bot:hunter2-pw@bridge.example.com"),
]
# A password in a URL is masked when the value is echoed back.
ECHOED = {
    "mysql://bot:hunter2-pw@db/mava": "mysql://bot:***@db/mava",
    "https://bot:hunter2-pw@bridge.example.com": "https://bot:***@bridge.example.com",
}


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_each_invalid_value_gives_one_line_with_a_fix(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    (line,) = problems(monkeypatch, **{name: value})
    assert line.startswith(f"{name}: ")
    assert name in FIXES, f"{name} has no fix to show"
    assert line.endswith(f"; {FIXES[name]}.")
    assert "\n" not in line
    # The value as the user wrote it (the log level as it was read, upper-cased) ...
    shown = ECHOED.get(value, value.upper() if name == "LOG_LEVEL" else value)
    assert line.startswith(f"{name}: {shown!r} ")
    assert "hunter2-pw" not in line
    # ... and what is wrong in our words, not pydantic's.
    assert "Input should" not in line and "Value error" not in line


@pytest.mark.parametrize(
    ("value", "wrong"),
    [
        ("bridge.example.com", "is not a URL"),
        ("ftp://bridge.example.com", "is not an http:// or https:// URL"),
        ("https://bridge.example.com/?via=proxy", "has a query or fragment (? or #)"),
        ("https://bot:hunter2-pw@bridge.example.com", "has a user name or password in it"),
    ],
)
def test_a_bad_public_url_says_what_a_good_one_looks_like(
    monkeypatch: pytest.MonkeyPatch, value: str, wrong: str
) -> None:
    (line,) = problems(monkeypatch, PUBLIC_URL=value)
    assert f" {wrong}; " in line
    # What a good one looks like, and that https is what Mava can reach from outside.
    assert "e.g. https://bridge.example.com" in line
    assert "http:// is accepted" in line and "use an https:// address" in line
    assert "/files/" in line and "hunter2-pw" not in line


@pytest.mark.parametrize(
    ("value", "file_url"),
    [
        ("https://bridge.example.com", "https://bridge.example.com/files/T1"),
        ("http://bridge.example.com/bot/", "http://bridge.example.com/bot/files/T1"),
    ],
)
def test_a_public_url_over_http_or_https_with_a_path_is_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str, file_url: str
) -> None:
    settings, lines = read_settings(PUBLIC_URL=value)
    assert lines == [] and settings is not None
    assert settings.file_url("T1") == file_url


CHOICES = {
    "LOG_LEVEL": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "ALERT_MIN_PRIORITY": ("low", "medium", "high"),
    "CREATE_TICKET_SOURCE_TYPE": ("web", "discord", "telegram", "telegram-group", "email"),
    "MAVA_WEBHOOK_CIPHER": ("aes-256-cbc", "aes-256-gcm", "aes-256-ctr"),
}


def test_every_choice_setting_is_covered() -> None:
    literal = {
        name.upper()
        for name, field in Settings.model_fields.items()
        if "Literal[" in str(field.annotation)
    }
    assert literal == set(CHOICES)


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_a_bad_choice_lists_the_choices_once(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """'LOG_LEVEL: 'VERBOSE' is not one of ...; one of DEBUG, ...' said the list twice."""
    (line,) = problems(monkeypatch, **{name: "verbose"})
    said, _, fix = line.partition("; ")
    choices = CHOICES[name]
    assert said.endswith(
        " is not one of " + ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
    )
    assert fix == f"{FIXES[name]}."
    # The fix says what to do, not the list again.
    assert sum(choice.lower() in fix.lower() for choice in choices) <= 1, fix


def test_several_problems_are_all_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = problems(
        monkeypatch,
        PORT="x",
        LOG_LEVEL="chatty",
        DATABASE_URL="oracle://scott:tiger@db",
        SLACK_BOT_TOKEN=SECRET,
    )
    assert sorted(line.split(":")[0] for line in lines) == ["DATABASE_URL", "LOG_LEVEL", "PORT"]
    assert not any("tiger" in line or SECRET in line for line in lines)


def test_load_settings_exits_2_with_the_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("MAVA_API_TOKEN", MAVA_SECRET)
    with pytest.raises(SystemExit) as info:
        load_settings()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "the configuration has problems" in err
    assert "  - PORT: 'eighty' is not a whole number; a port number" in err
    assert MAVA_SECRET not in err


# --- Tokens needed to run -------------------------------------------------------------


def test_missing_tokens_for_run_are_listed_with_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = Settings().missing_for_run()
    assert [line.split(":")[0] for line in missing] == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "MAVA_API_TOKEN",
    ]
    for line in missing:
        name = line.split(":")[0]
        assert line == f"{name}: is not set; {FIXES[name]}."

    # `NAME=` (an empty value, as a .env template leaves it) counts as unset.
    empty = settings_from(
        monkeypatch, SLACK_BOT_TOKEN="", MAVA_API_TOKEN=MAVA_SECRET, SLACK_APP_TOKEN=""
    )
    assert empty.slack_app_token is None and not empty.socket_mode
    assert [line.split(":")[0] for line in empty.missing_for_run()] == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]


def test_a_missing_signing_secret_names_socket_mode_as_the_other_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(monkeypatch, SLACK_BOT_TOKEN=SECRET, MAVA_API_TOKEN=MAVA_SECRET)
    (line,) = settings.missing_for_run()
    assert line.startswith("SLACK_SIGNING_SECRET: is not set; copy the Signing Secret")
    assert "or use Socket Mode instead: set SLACK_APP_TOKEN (xapp-...)" in line


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch, SLACK_BOT_TOKEN=SECRET, MAVA_API_TOKEN=MAVA_SECRET, SLACK_APP_TOKEN="xapp-1"
    )
    assert settings.missing_for_run() == []
    http = settings_from(monkeypatch, SLACK_APP_TOKEN="", SLACK_SIGNING_SECRET="s3cr3t")
    assert http.missing_for_run() == []


def test_every_problem_is_listed_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad values and missing tokens together, in the order of the settings table."""
    for name, value in {"PORT": "x", "DIGEST_CHANNEL": "#support"}.items():
        monkeypatch.setenv(name, value)
    settings, lines = read_settings(FOR_RUN)
    assert settings is None
    assert [line.split(":")[0] for line in lines] == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "MAVA_API_TOKEN",
        "PORT",
        "DIGEST_CHANNEL",
    ]


def test_an_invalid_app_token_still_means_socket_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong SLACK_APP_TOKEN is reported as wrong, not as a missing signing secret."""
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxp-1-2-s3cretpart")
    _, lines = read_settings(FOR_RUN)
    assert [line.split(":")[0] for line in lines] == [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "MAVA_API_TOKEN",
    ]


def test_only_what_a_command_needs_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_settings()[1] == []
    monkeypatch.setenv("MAVA_API_TOKEN", MAVA_SECRET)
    settings, lines = read_settings(FOR_MAVA)
    assert settings is not None and lines == []


# --- Token shapes -----------------------------------------------------------------------

TOKENS = [
    (
        "SLACK_BOT_TOKEN",
        "xapp-1-A0B1-2-s3cretpart",
        "is an app-level token (xapp-...), not a bot token (xoxb-...)",
    ),
    (
        "SLACK_BOT_TOKEN",
        "xoxp-1-2-s3cretpart",
        "is a user token (xoxp-...), not a bot token (xoxb-...)",
    ),
    ("SLACK_BOT_TOKEN", "s3cretpart-abc", "does not start with xoxb-"),
    ("SLACK_BOT_TOKEN", "xoxb-1-2-s3cretpart…", "has characters a Slack token never has"),
    (
        "SLACK_APP_TOKEN",
        "xoxb-1-2-s3cretpart",
        "is a bot token (xoxb-...), not an app-level token (xapp-...)",
    ),
    ("SLACK_APP_TOKEN", "s3cretpart", "does not start with xapp-"),
    (
        "SLACK_SIGNING_SECRET",
        "xoxb-1-2-s3cretpart",
        "is a bot token from Slack (xoxb...), not the signing secret",
    ),
    (
        "MAVA_API_TOKEN",
        "xapp-1-s3cretpart",
        "is an app-level token from Slack (xapp...), not a Mava key",
    ),
    ("SLACK_BOT_TOKEN", '"xoxb-1-2-s3cretpart"', "is wrapped in quotes; remove them"),
    ("MAVA_API_TOKEN", "'s3cretpart'", "is wrapped in quotes; remove them"),
]


@pytest.mark.parametrize(("name", "value", "said"), TOKENS)
def test_a_token_of_the_wrong_shape_is_named_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    (line,) = problems(monkeypatch, **{name: value})
    assert line == f"{name}: {said}; {FIXES[name]}." or line.startswith(f"{name}: {said}")
    assert line.endswith(f"; {FIXES[name]}.")
    assert "s3cretpart" not in line


def test_swapped_tokens_are_named_as_swapped(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = problems(
        monkeypatch, SLACK_BOT_TOKEN="xapp-1-A0B1-s3cretpart", SLACK_APP_TOKEN="xoxb-1-2-s3cretpart"
    )
    assert lines == [
        "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped: the bot token (xoxb-...) goes in "
        "SLACK_BOT_TOKEN, the app-level token (xapp-...) in SLACK_APP_TOKEN; swap the two values."
    ]


def test_the_readme_example_pasted_on_one_line_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several NAME=value on one line used to give SLACK_BOT_TOKEN='xoxb-… SLACK_APP_TOKEN=…'
    and a silent fall-back to HTTP mode."""
    env = Path(".env")
    env.write_text("SLACK_BOT_TOKEN=xoxb-1-2-s3cretpart SLACK_APP_TOKEN=xapp-1-A0-s3cretpart\n")
    settings, lines = read_settings(FOR_RUN)
    assert settings is None
    assert lines[0] == (
        "SLACK_BOT_TOKEN: contains a space; in .env put each setting on its own line, as "
        f"NAME=value; {FIXES['SLACK_BOT_TOKEN']}."
    )
    assert not any("s3cretpart" in line for line in lines)


DOCKER_READS_IT = (
    "has spaces around =; write it as {name}=value, with no spaces (docker run --env-file "
    "would read it differently: it refuses a name with a space and keeps a space in a value)."
)


def test_a_dotenv_line_with_spaces_around_the_equals_sign_is_named() -> None:
    """python-dotenv reads `NAME = value` as NAME=value; docker --env-file refuses it (or
    keeps the space in the value): the same file must mean the same in both."""
    Path(".env").write_text(
        "# settings\n"
        "PORT = 4000\n"
        "SLACK_BOT_TOKEN= xoxb-1-2-s3cretpart\n"
        "MAVA_API_TOKEN =s3cretpart\n"
        "  # NOTE = not a setting\n"
        "SLACK_SIGNING_SECRET=s3cretpart\n"
        "DIGEST_CHANNEL=\n"
        "ALERT_CHANNEL=   \n"
    )
    settings, lines = read_settings(FOR_RUN)
    assert settings is not None  # read fine here: the problem is docker's reading
    assert settings.port == 4000
    assert lines == [
        f".env line {n} ({name}): " + DOCKER_READS_IT.format(name=name)
        for n, name in [(2, "PORT"), (3, "SLACK_BOT_TOKEN"), (4, "MAVA_API_TOKEN")]
    ]
    assert not any("s3cretpart" in line for line in lines)
    with pytest.raises(SystemExit) as info:
        load_settings(FOR_RUN)  # a problem like any other: start-up stops
    assert info.value.code == 2


def test_dotenv_spacing_is_listed_with_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("PORT=http\nLOG_LEVEL = DEBUG\n")
    settings, lines = read_settings()
    assert settings is None
    assert [line.split(":")[0] for line in lines] == ["PORT", ".env line 2 (LOG_LEVEL)"]


def test_only_the_dotenv_file_is_checked_for_spacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment is not a file docker reads; and a run told to read no .env does not
    look at one."""
    monkeypatch.setenv("ALERT_CHANNEL", " C0ALERTS")
    assert read_settings() == (Settings(), [])
    Path(".env").write_text("PORT = 4000\n")
    settings, lines = read_settings(_env_file=None)
    assert settings is not None and settings.port == 3000 and lines == []


def test_surrounding_spaces_are_forgiven(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch, SLACK_BOT_TOKEN=f" {SECRET}\n", ALERT_CHANNEL=" C0ALERTS "
    )
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == SECRET
    assert settings.alert_channel == "C0ALERTS"


# --- Channels -----------------------------------------------------------------------------

CHANNEL_SETTINGS = ["DIGEST_CHANNEL", "ALERT_CHANNEL", "AUDIT_CHANNEL"]


@pytest.mark.parametrize("name", CHANNEL_SETTINGS)
@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("#support", "'#support' is a channel name, not a channel id"),
        ("support", "'support' is not a channel id"),
        ("c0123abc", "'c0123abc' is not a channel id"),
        ("U0JANE", "'U0JANE' is not a channel id"),
        ('"C0SUPPORT"', "'\"C0SUPPORT\"' is wrapped in quotes; remove them"),
    ],
)
def test_a_channel_must_be_a_channel_id(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    (line,) = problems(monkeypatch, **{name: value})
    assert line.startswith(f"{name}: {said}")
    # How to find the id, in Slack's own words.
    assert line.endswith(
        "; use the channel id (C... or G...): in Slack click the channel's name to open its "
        "details, and copy the Channel ID at the bottom of the About tab."
    )


@pytest.mark.parametrize("channel", ["C0123456789", "G0PRIVATE", "C0SUPPORT"])
def test_channel_ids_are_accepted(monkeypatch: pytest.MonkeyPatch, channel: str) -> None:
    settings = settings_from(monkeypatch, **dict.fromkeys(CHANNEL_SETTINGS, channel))
    assert (settings.digest_channel, settings.alert_channel, settings.audit_channel) == (
        channel,
        channel,
        channel,
    )


def test_the_sandbox_tokens_have_real_shapes() -> None:
    """The Slack stub and the signed-request builders are what tests and the demo run on:
    their values pass the same checks as a real deployment's."""
    settings, lines = read_settings(
        FOR_RUN,
        _env_file=None,
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_app_token=DEFAULT_APP_TOKEN,
        mava_api_token="mava-sandbox-demo-key",
    )
    assert lines == [] and settings is not None and settings.socket_mode


# --- The commands, as a user runs them ------------------------------------------------


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ
    }
    return subprocess.run(
        [sys.executable, "-m", "mava_bridge", *args],
        cwd=tmp_path,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_with_a_bad_port_exits_2_with_one_line_and_no_secret(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        "run",
        PORT="http",
        SLACK_BOT_TOKEN=SECRET,
        SLACK_SIGNING_SECRET="signing-secret-abc",
        MAVA_API_TOKEN=MAVA_SECRET,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problem_lines) == 1
    assert problem_lines[0].startswith("  - PORT: ")
    assert FIXES["PORT"] in problem_lines[0]
    for secret in (SECRET, MAVA_SECRET, "signing-secret-abc"):
        assert secret not in result.stderr + result.stdout


def test_run_without_tokens_lists_them(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "run")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for name in ("SLACK_BOT_TOKEN", "MAVA_API_TOKEN", "SLACK_SIGNING_SECRET"):
        assert f"  - {name}: is not set; {FIXES[name]}." in result.stderr


def test_run_lists_bad_values_and_missing_tokens_together(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "run", PORT="http", ALERT_CHANNEL="#alerts")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0] for line in problem_lines] == [
        "  - SLACK_BOT_TOKEN",
        "  - SLACK_SIGNING_SECRET",
        "  - MAVA_API_TOKEN",
        "  - PORT",
        "  - ALERT_CHANNEL",
    ]


def test_digest_preview_lists_a_bad_value_and_the_missing_key_together(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "digest", "--preview", DIGEST_TIMEZONE="Mars/Base")
    assert result.returncode == 2, result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert problem_lines == [
        f"  - MAVA_API_TOKEN: is not set; {FIXES['MAVA_API_TOKEN']}.",
        f"  - DIGEST_TIMEZONE: 'Mars/Base' is not a known time zone; {FIXES['DIGEST_TIMEZONE']}.",
    ]


def test_check_reports_bad_settings_one_line_each(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        "check",
        PORT="99999",
        DATABASE_URL="mysql://bot:hunter2-pw@db/mava",
        MAVA_API_TOKEN=MAVA_SECRET,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    # All at once: the bad values and the tokens still missing.
    assert [line.split(":")[0] for line in failed] == [
        "FAIL  settings",
        "FAIL  settings",
        "FAIL  settings",
        "FAIL  settings",
    ]
    assert [line.split(": ")[1].split(":")[0] for line in failed] == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "DATABASE_URL",
        "PORT",
    ]
    assert any("PORT: " in line and FIXES["PORT"] in line for line in failed)
    assert any("DATABASE_URL: " in line for line in failed)
    assert "hunter2-pw" not in result.stdout + result.stderr
    assert MAVA_SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("whsec_hunter2-pw", "does not start with mava_wh_"),
        ("mava_wh_hunter2-pw", "the text after mava_wh_ is not base64"),
        ("mava_wh_aHVudGVyMi1wdw==", "the text after mava_wh_ is not a PKCS8 DER private key"),
    ],
)
def test_a_webhook_signing_key_that_does_not_parse_is_one_line_never_echoed(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    (line,) = problems(monkeypatch, MAVA_WEBHOOK_SIGNING_KEY=value)
    assert line == f"MAVA_WEBHOOK_SIGNING_KEY: {problem}; {FIXES['MAVA_WEBHOOK_SIGNING_KEY']}."
    assert "hunter2" not in line and "aHVudGVy" not in line
