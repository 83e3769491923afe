"""One bounded HTTP read, shared by the wiki gateway and the web fetcher.

The whole answer must arrive within a deadline (not per read: a server that drips
one byte a second is cut off) and stay under a size cap once decompressed (a gzip
bomb is refused while it streams, never unpacked whole).
"""

from __future__ import annotations

import time
import zlib


class TooLarge(Exception):
    """The answer, decompressed, is over the cap."""


class TooSlow(Exception):
    """The whole answer did not arrive before the deadline."""


def read_bounded(response, cap: int, deadline: float) -> bytes:
    """The body of a streaming httpx response, decompressed (gzip or deflate), at most `cap` bytes.

    Raises TooLarge, TooSlow, or zlib.error for a damaged compressed body.
    """
    coding = response.headers.get("Content-Encoding", "identity").strip().lower()
    unpack = zlib.decompressobj(47 if coding == "gzip" else 15) if coding in ("gzip", "deflate") else None
    body = bytearray()
    for chunk in response.iter_raw():
        while chunk:
            if unpack is None:
                body += chunk
                chunk = b""
            else:
                # Never more than the cap unpacked at once.
                body += unpack.decompress(chunk, cap + 1 - len(body))
                chunk = unpack.unconsumed_tail
            if len(body) > cap:
                raise TooLarge(f"over {cap / 1e6:.0f} MB")
        if time.monotonic() > deadline:
            raise TooSlow("too slow")
    return bytes(body)


def plain_headers(response) -> dict[str, str]:
    """The response's headers without those that describe the encoded body."""
    return {k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")}
