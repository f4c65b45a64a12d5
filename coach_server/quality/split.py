"""The two parts of every corpus: a **tuning** part the rules may be tuned on, and a **sealed** part they never
are (docs/quality.md, "The sealed part").

A chat's part follows from a hash of its id alone, so it is the same on every machine, for every corpus and
every later addition, and nobody chooses which chats are hard. About a third of the chats are sealed. On the
sealed part the harness prints aggregate figures and error categories only, never a message: its warnings are
judged by blind labellers (quality/blind.py), and nobody changes a rule because of a sealed example.
"""
from __future__ import annotations

import hashlib
from typing import Literal

Part = Literal["tune", "sealed"]
PARTS: tuple[Part, ...] = ("tune", "sealed")
# sha1(chat id)'s first byte below this → sealed: 86 of 256 ≈ 34 %.
SEALED_BELOW = 86


def part_of(chat_id: str) -> Part:
    """The part a chat belongs to, by the first byte of the sha1 of its id."""
    return "sealed" if hashlib.sha1(chat_id.encode("utf-8")).digest()[0] < SEALED_BELOW else "tune"
