"""Text from articles, wikis and bundles is data: shown, never obeyed by the terminal."""

from __future__ import annotations

import re

BIDI_CONTROLS = frozenset((0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069))
# Every character `visible` replaces (with and without newlines kept).
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ODD_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str, newlines: bool = True) -> str:
    """Replace control characters one-for-one with visible symbols (ESC -> ␛).

    One character in, one character out, so offsets computed on the raw text
    hold on the shown text.  With ``newlines=False`` a newline is shown too
    (one line of command output per record).  Lone surrogates (undecodable
    file-name bytes) become U+FFFD.
    """
    text = str(text)
    if not (_ODD if newlines else _ODD_OR_NEWLINE).search(text):
        return text  # the common case: nothing to replace
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\t":
            out.append(" ")
        elif o < 32 and (ch != "\n" or not newlines):
            out.append(chr(0x2400 + o))
        elif o == 127:
            out.append("\u2421")
        elif 0x80 <= o < 0xA0 or 0xD800 <= o < 0xE000 or o in BIDI_CONTROLS:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def safe(text: object) -> str:
    """One line of data fit for a terminal: every control character shown, not sent."""
    return visible(str(text), newlines=False)


def safe_url(url: str) -> bool:
    """A URL fit to hand to the terminal (an OSC 8 link, OSC 52 copy): http(s), printable ASCII only."""
    return url.startswith(("https://", "http://")) and all(0x21 <= ord(c) <= 0x7E for c in url)


def wiki_name(api_url: str) -> str:
    """What the panel calls the wiki: "Wikipedia" for Wikipedia, else its host."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(api_url).hostname or api_url
    except ValueError:
        host = api_url
    return "Wikipedia" if host.endswith(".wikipedia.org") else safe(host)
