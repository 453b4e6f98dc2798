"""What Slack refuses in a message, a view or an unfurl: the Slack stub's Block Kit rules.

Each block goes through slack_sdk's own models (`Block.parse(...).to_dict()`, and a
view through `View(**view).to_dict()`), which raise `SlackObjectFormationError` on many
of the documented limits. On top come the rules the models leave out, each from Slack's
Block Kit reference:

- a message holds at most 50 blocks, a modal or Home view at most 100;
- a `block_id` appears once in a message or view, an `action_id` once in a block, and
  neither is longer than 255 characters;
- text objects are `plain_text` or `mrkdwn` with 1 to 3,000 characters; where Slack
  wants `plain_text` (headers, buttons, options, placeholders, labels, view titles)
  nothing else is taken;
- a section's text <= 3,000 and at most 10 fields of <= 2,000 each; a header <= 150; a
  context 1 to 10 elements; an actions block 1 to 25 elements;
- a button's text <= 75, its value <= 2,000 and its url <= 3,000; a select's options 1
  to 100, each option's text <= 75 and its value <= 150; a placeholder <= 150; an
  input's label and hint <= 2,000; a plain-text input's max_length <= 3,000 and its
  initial value no longer than that;
- a modal: title (<= 24) required, submit and close <= 24, submit required when it holds
  an input; any view: private_metadata <= 3,000, callback_id and external_id <= 255;
- a message's top-level `text` <= 40,000 characters (`msg_too_long`).

Problems are worded as Slack words them in `response_metadata.messages` ("must be
less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]").
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

JSON = dict[str, Any]

MESSAGE_BLOCKS: Final = 50
VIEW_BLOCKS: Final = 100
MESSAGE_TEXT: Final = 40_000
# Names a file each validated payload is appended to ("ok" or the error, one a line), so
# a test session can add up every stub's, in this process or another.
TALLY_ENV: Final = "MAVA_SLACK_STUB_TALLY"

_TEXT: Final = 3000
_ID: Final = 255
_SELECTS: Final = frozenset(
    {"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"}
)
# Where Slack takes plain_text only (checkboxes and radio options may be mrkdwn).
_PLAIN_OPTIONS: Final = frozenset({"static_select", "multi_static_select", "overflow"})


@dataclass(frozen=True)
class Refusal:
    """Slack's error for a payload, and what it says about it."""

    error: str
    problems: tuple[str, ...] = ()


class Tally:
    """The payloads with blocks or a view the rules validated, and how many they refused."""

    def __init__(self, path: str | None = None) -> None:
        self.validated = 0
        self.refused: Counter[str] = Counter()
        self.path = path if path is not None else os.environ.get(TALLY_ENV)

    def count(self, refusal: Refusal | None) -> None:
        self.validated += 1
        if refusal is not None:
            self.refused[refusal.error] += 1
        if self.path:
            with open(self.path, "a", encoding="utf-8") as tally:
                tally.write(f"{refusal.error if refusal else 'ok'}\n")


def read_tally(path: str) -> tuple[int, Counter[str]]:
    """(payloads validated, refusals by error) from a `TALLY_ENV` file."""
    try:
        with open(path, encoding="utf-8") as tally:
            lines = [line.strip() for line in tally if line.strip()]
    except FileNotFoundError:
        return 0, Counter()
    return len(lines), Counter(line for line in lines if line != "ok")


def has_blocks(payload: JSON) -> bool:
    return payload.get("blocks") not in (None, "")


def message_refusal(
    payload: JSON, *, require_content: bool = True, unreachable: Collection[str] = ()
) -> Refusal | None:
    """What Slack answers chat.postMessage, chat.postEphemeral, chat.update or a
    response_url given `payload`, or None if it takes it. An image block whose
    image_url's host is `unreachable` is one Slack could not download: it refuses the
    whole message, as real Slack does for an image it cannot fetch."""
    text = payload.get("text")
    blocks = payload.get("blocks")
    if require_content and not (text or blocks or payload.get("attachments")):
        return Refusal("no_text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        return Refusal("msg_too_long")
    if blocks is None or blocks == "":
        return None
    if not isinstance(blocks, list):
        return Refusal("invalid_blocks_format", ("must be an array [json-pointer:/blocks]",))
    problems = blocks_problems(blocks, MESSAGE_BLOCKS) or _undownloadable(blocks, unreachable)
    return Refusal("invalid_blocks", tuple(problems)) if problems else None


def _undownloadable(blocks: list[Any], unreachable: Collection[str]) -> list[str]:
    """Slack's words for image blocks whose image it could not fetch."""
    return [
        f"downloading image failed [json-pointer:/blocks/{index}/image_url]"
        for index, block in enumerate(blocks)
        if isinstance(block, dict)
        and block.get("type") == "image"
        and urlsplit(str(block.get("image_url", ""))).hostname in unreachable
    ]


def view_refusal(view: Any) -> Refusal | None:
    """What views.open, views.push, views.update or views.publish answer `view` (a dict,
    already decoded), or None if Slack takes it."""
    if not isinstance(view, dict):
        return Refusal("invalid_arguments", ("missing required field: view",))
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append("must be 'modal' or 'home' [json-pointer:/view/type]")
    blocks = view.get("blocks", [])
    if kind == "modal":
        problems += _text(view.get("title"), "/view/title", 24, plain=True)
        problems += _text(view.get("submit"), "/view/submit", 24, plain=True, required=False)
        problems += _text(view.get("close"), "/view/close", 24, plain=True, required=False)
        inputs = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if inputs and view.get("submit") is None:
            problems.append("must provide submit with an input block [json-pointer:/view/submit]")
    problems += _longer("private_metadata", view.get("private_metadata"), _TEXT, "/view")
    problems += _longer("callback_id", view.get("callback_id"), _ID, "/view")
    problems += _longer("external_id", view.get("external_id"), _ID, "/view")
    problems += blocks_problems(blocks, VIEW_BLOCKS, "/view/blocks")
    if not problems and kind in ("modal", "home"):
        # Its blocks were each put through the models above (and cached): one stands in.
        stand_in = [{"type": "divider"}] if blocks else blocks
        problems += _model_problems(lambda: View(**{**view, "blocks": stand_in}).to_dict(), "/view")
    return Refusal("invalid_arguments", tuple(problems)) if problems else None


def unfurl_problems(unfurls: Any) -> list[str]:
    """The problems of the blocks of each unfurl in a chat.unfurl `unfurls` map."""
    if not isinstance(unfurls, dict):
        return []
    problems: list[str] = []
    for url, unfurl in unfurls.items():
        if isinstance(unfurl, dict) and has_blocks(unfurl):
            problems += blocks_problems(unfurl["blocks"], MESSAGE_BLOCKS, f"/unfurls/{url}/blocks")
    return problems


def blocks_problems(blocks: Any, limit: int, pointer: str = "/blocks") -> list[str]:
    """Every problem of a message's or view's `blocks`; [] when Slack takes them."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"must contain at most {limit} items [json-pointer:{pointer}]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                problems.append(f"duplicate block_id {block_id!r} [json-pointer:{where}/block_id]")
            seen.add(block_id)
        problems += [f"{p}{where}{tail}" for p, tail in _block_problems(_key(block))]
    return problems


def _key(block: Any) -> str:
    return json.dumps(block, sort_keys=True)


@functools.lru_cache(maxsize=1024)
def _block_problems(key: str) -> tuple[tuple[str, str], ...]:
    """One block's problems as (message head, pointer tail) pairs; cached, as cards and
    Home views send the same blocks again and again."""
    block = json.loads(key)
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return (("missing required field: type [json-pointer:", "]"),)
    found = _block(block, "")
    if not found:
        found = _model_problems(lambda: _parsed(block).to_dict(), "")
    return tuple(_split(problem) for problem in found)


def _split(problem: str) -> tuple[str, str]:
    head, _, tail = problem.partition("[json-pointer:")
    return head + "[json-pointer:", tail


def _parsed(block: JSON) -> Block:
    parsed = Block.parse(block)
    if parsed is None:
        raise SlackObjectFormationError(f"unsupported block type: {block['type']}")
    return parsed


def _model_problems(build: Any, where: str) -> list[str]:
    """slack_sdk's word on the payload: its models refuse what breaks their limits."""
    try:
        build()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"{exc} [json-pointer:{where}]"]
    return []


def _block(block: JSON, where: str) -> list[str]:
    kind = block["type"]
    problems = _longer("block_id", block.get("block_id"), _ID, where)
    if kind == "section":
        if block.get("text") is None and not block.get("fields"):
            problems.append(f"must provide text or fields [json-pointer:{where}]")
        if block.get("text") is not None:
            problems += _text(block["text"], f"{where}/text", _TEXT)
        fields = block.get("fields") or []
        problems += _count(fields, 0, 10, f"{where}/fields")
        for n, field in enumerate(fields if isinstance(fields, list) else []):
            problems += _text(field, f"{where}/fields/{n}", 2000)
        if block.get("accessory") is not None:
            problems += _element(block["accessory"], f"{where}/accessory")
    elif kind == "header":
        problems += _text(block.get("text"), f"{where}/text", 150, plain=True)
    elif kind in ("context", "actions"):
        elements = block.get("elements")
        problems += _count(elements, 1, 10 if kind == "context" else 25, f"{where}/elements")
        action_ids: set[str] = set()
        for n, element in enumerate(elements if isinstance(elements, list) else []):
            problems += _element(element, f"{where}/elements/{n}")
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if isinstance(action_id, str) and action_id in action_ids:
                problems.append(
                    f"duplicate action_id {action_id!r} "
                    f"[json-pointer:{where}/elements/{n}/action_id]"
                )
            if isinstance(action_id, str):
                action_ids.add(action_id)
    elif kind == "image":
        problems += _image(block, where)
    elif kind == "input":
        problems += _text(block.get("label"), f"{where}/label", 2000, plain=True)
        problems += _text(block.get("hint"), f"{where}/hint", 2000, plain=True, required=False)
        problems += _element(block.get("element"), f"{where}/element")
    return problems


def _image(block: JSON, where: str) -> list[str]:
    """Slack's rules for an image block: an https image_url (Slack fetches it, so it must
    be public) of at most 3,000 characters and a non-empty alt_text of at most 2,000."""
    problems = []
    url = block.get("image_url")
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 3000:
        problems.append(f"must be a valid https URL [json-pointer:{where}/image_url]")
    alt = block.get("alt_text")
    if not isinstance(alt, str) or not alt or len(alt) > 2000:
        problems.append(f"must be 1 to 2000 characters [json-pointer:{where}/alt_text]")
    title = block.get("title")
    if title is not None and (
        not isinstance(title, dict) or len(str(title.get("text", ""))) > 2000
    ):
        problems.append(f"must be less than 2001 characters [json-pointer:{where}/title]")
    return problems


def _element(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"must be an object [json-pointer:{where}]"]
    kind = element.get("type")
    if kind in ("mrkdwn", "plain_text"):  # a context's text
        return _text(element, where, _TEXT)
    problems = _longer("action_id", element.get("action_id"), _ID, where)
    if kind == "button":
        problems += _text(element.get("text"), f"{where}/text", 75, plain=True)
        problems += _longer("value", element.get("value"), 2000, where)
        problems += _longer("url", element.get("url"), 3000, where)
    if "placeholder" in element:
        problems += _text(element["placeholder"], f"{where}/placeholder", 150, plain=True)
    if kind in _SELECTS and "option_groups" not in element:
        options = element.get("options")
        problems += _count(options, 1, 100, f"{where}/options")
        plain = kind in _PLAIN_OPTIONS
        for n, option in enumerate(options if isinstance(options, list) else []):
            problems += _option(option, f"{where}/options/{n}", plain=plain)
    if kind == "plain_text_input":
        most = element.get("max_length", _TEXT)
        if not isinstance(most, int) or not 1 <= most <= _TEXT:
            problems.append(f"must be 1 to {_TEXT} [json-pointer:{where}/max_length]")
            most = _TEXT
        problems += _longer("initial_value", element.get("initial_value"), most, where)
    return problems


def _option(option: Any, where: str, *, plain: bool) -> list[str]:
    if not isinstance(option, dict):
        return [f"must be an object [json-pointer:{where}]"]
    problems = _text(option.get("text"), f"{where}/text", 75, plain=plain)
    problems += _longer("value", option.get("value"), 150, where)
    if option.get("description") is not None:
        problems += _text(option["description"], f"{where}/description", 75, plain=plain)
    return problems


def _text(
    obj: Any, where: str, limit: int, *, plain: bool = False, required: bool = True
) -> list[str]:
    if obj is None:
        return [f"missing required field [json-pointer:{where}]"] if required else []
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"must be a text object of type {' or '.join(kinds)} [json-pointer:{where}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{where}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


def _longer(name: str, value: Any, limit: int, where: str) -> list[str]:
    if value is not None and len(str(value)) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/{name}]"]
    return []


def _count(items: Any, least: int, most: int, where: str) -> list[str]:
    if items is None and least == 0:
        return []
    if not isinstance(items, list):
        return [f"must be an array [json-pointer:{where}]"]
    if not least <= len(items) <= most:
        return [f"must contain {least} to {most} items [json-pointer:{where}]"]
    return []
