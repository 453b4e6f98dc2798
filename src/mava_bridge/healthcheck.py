"""The Docker HEALTHCHECK (no curl in slim images): GET /healthz where HOST and PORT say
the bot listens (on loopback when it listens on every address), exit 0 only on 200. The
one line printed is what `docker inspect` shows under Health."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from typing import Final

TIMEOUT_SECONDS: Final = 4  # within the Dockerfile's --timeout=5s
# Bound on every address: loopback of the same family answers.
EVERY_ADDRESS: Final = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def healthz_url(host: str, port: str) -> str:
    address = EVERY_ADDRESS.get(host.strip(), host.strip())
    if ":" in address:  # an IPv6 literal goes in brackets
        address = f"[{address.strip('[]')}]"
    return f"http://{address}:{port.strip() or '3000'}/healthz"


def main() -> int:
    url = healthz_url(os.environ.get("HOST", "0.0.0.0"), os.environ.get("PORT", "3000"))
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # 503 while a check fails or while draining
        status = exc.code
    except (OSError, ValueError) as exc:  # refused, timed out, a HOST that is no address
        print(f"GET {url}: {type(exc).__name__}: {exc}")
        return 1
    print(f"GET {url}: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
