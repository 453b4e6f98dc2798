"""Attachments for sandbox messages, as Mava serves them: `{fileName, url, fileType}`.

`attachment("receipt.png")` makes one with its type guessed from the name and an https
URL on an example host; `split_files("Here it is file=receipt.png")` takes the demo's
`file=NAME` words out of a message's text (`customer $T1 Here it is file=receipt.png`).
"""

from __future__ import annotations

import mimetypes
from typing import Final
from urllib.parse import quote

FILES_HOST: Final = "https://files.mava-sandbox.example"
FILE_WORD: Final = "file="


def attachment(
    name: str, *, url: str | None = None, file_type: str | None = None
) -> dict[str, str]:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return {
        "fileName": name,
        "url": url or f"{FILES_HOST}/{quote(name)}",
        "fileType": file_type or guessed,
    }


def split_files(text: str) -> tuple[str, list[dict[str, str]]]:
    """(the text without its `file=NAME` words, an attachment per NAME)."""
    words, files = [], []
    for word in text.split(" "):
        if word.startswith(FILE_WORD) and len(word) > len(FILE_WORD):
            files.append(attachment(word[len(FILE_WORD) :]))
        else:
            words.append(word)
    return " ".join(words).strip(), files
