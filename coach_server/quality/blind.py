"""Blind labels on the sealed part: what labellers are given, what they answer, and what is kept.

The person who tunes the rules never reads a sealed message. Instead, `coach quality blind-export` writes, to
a directory outside the project, a fresh stratified sample of what fires now on the sealed chats — each
warning with the rule's description (its thresholds filled), the channel, the conversation before the
message, the message with the flagged piece marked, the warning and the message as the fix would leave it —
and two people who did not write the rules judge every item on their own (docs/quality.md). Their answers
come back with `coach quality blind-import` and are kept in `quality/sealed.jsonl` **without any text**: the
warning's id, rule, trigger, language, channel, chat and message index, the labeller, the verdict, a category
of error from a fixed list, and whether the fix was right. The same is done for **misses**: a sample of
sealed operator messages, on which labellers name the rules a supervisor would flag (`misses-export`,
`misses-import`, kept in `quality/sealed-misses.jsonl`).
"""
from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..corpus import BadLine, Chat
from ..models import CHANNELS, validation_details
from ..rulebook.ruleset import write_atomically
from .findings import Finding, read_chats
from .split import part_of

WRONG_CATEGORIES: dict[str, str] = {
    "not_words": "the flagged piece is not an ordinary word of the language: an acronym, a product or system "
                 "name, code, a unit, a key name, a masked value, initials or a signature, words of another language",
    "exempt": "the rule's own description says this case is fine",
    "already_done": "the message already does what the rule asks (answers the question, acknowledges the feeling, "
                    "gave something first, softens the request, …)",
    "misread": "the rule misreads the conversation: who said what, what was asked, whether the client is upset, "
               "whose contact it is, what the words mean here",
    "channel": "fine in this channel (its norms differ)",
    "harmless": "technically matches, but a competent supervisor would not flag it",
    "other": "wrong for another reason",
}
CHANNEL_NAMES = {
    "chat": "a live chat on a company's website (the client waits on the page)",
    "messenger": "a messenger conversation (WhatsApp, Telegram): replies within minutes",
    "social": "a public social-media thread: a brand's care account answering a customer (e.g. Twitter)",
    "email": "an e-mail-like support ticket (replies hours or days apart; here: a vendor's help desk on GitHub)",
}
CHANNEL_LABELS = {"chat": "a live chat", "messenger": "a messenger", "social": "a social-media thread",
                  "email": "an e-mail-like ticket"}
CONTEXT_MESSAGES = 6  # the messages before the one judged that an item shows
MESSAGE_CHARS = 700  # each shown at most this long
DRAFT_CHARS = 1_600


def fix_digest(fixed: str | None) -> str:
    """A short hash of the message as the fix would leave it: a fix verdict holds only for that very fix."""
    return "" if fixed is None else hashlib.sha1(fixed.encode("utf-8")).hexdigest()[:10]


class SealedVerdict(BaseModel):
    """One labeller's verdict on one sealed warning — no text: the id names the warning."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(pattern=r"^[0-9a-f]{10}$")  # the warning's key (findings.label_key)
    rule: str
    trigger: str
    lang: Literal["ru", "en"]
    channel: str
    chat_id: str
    message: int = Field(ge=0)
    labeller: str = Field(min_length=1, max_length=40)
    round: int = Field(ge=1)
    verdict: Literal["correct", "wrong"]
    category: str = ""  # one of WRONG_CATEGORIES when wrong
    fix: Literal["right", "wrong"] | None = None  # None: no fix was offered
    fix_digest: str = ""


class SealedMiss(BaseModel):
    """One labeller's reading of one sealed operator message: the rules a supervisor would flag it for."""

    model_config = ConfigDict(extra="forbid")

    chat_id: str
    message: int = Field(ge=0)
    channel: str
    lang: Literal["ru", "en"]
    labeller: str = Field(min_length=1, max_length=40)
    round: int = Field(ge=1)
    rules: list[str] = Field(default_factory=list)


class BlindError(ValueError):
    pass


# --- the files kept in the project ---------------------------------------------------------------------------
def _load_lines(path: Path, model: type[SealedVerdict] | type[SealedMiss]) -> list[Any]:
    if not path.exists():
        return []
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(model.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise BlindError(f"{path.name}: line {number}: not valid JSON: {exc.msg}") from None
        except ValidationError as exc:
            details = "; ".join(f"{d.field}: {d.problem}" for d in validation_details(exc))
            raise BlindError(f"{path.name}: line {number}: {details}") from None
    return out


def load_verdicts(path: Path) -> list[SealedVerdict]:
    verdicts: list[SealedVerdict] = _load_lines(path, SealedVerdict)
    for v in verdicts:
        if v.verdict == "wrong" and v.category not in WRONG_CATEGORIES:
            raise BlindError(f"{path.name}: item {v.item}: a wrong verdict names one of the categories "
                             f"({', '.join(WRONG_CATEGORIES)})")
        if v.channel not in CHANNELS:
            raise BlindError(f"{path.name}: item {v.item}: unknown channel {v.channel!r}")
    return verdicts


def load_misses(path: Path) -> list[SealedMiss]:
    misses: list[SealedMiss] = _load_lines(path, SealedMiss)
    return misses


def _write_lines(path: Path, rows: Iterable[SealedVerdict] | Iterable[SealedMiss]) -> None:
    text = "".join(json.dumps(r.model_dump(), ensure_ascii=False) + "\n" for r in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))


def save_verdicts(path: Path, verdicts: list[SealedVerdict]) -> None:
    _write_lines(path, sorted(verdicts, key=lambda v: (v.rule, v.lang, v.item, v.round, v.labeller)))


def save_misses(path: Path, misses: list[SealedMiss]) -> None:
    _write_lines(path, sorted(misses, key=lambda m: (m.chat_id, m.message, m.round, m.labeller)))


# --- agreement ------------------------------------------------------------------------------------------------
@dataclass
class Agreement:
    items: int  # items with two labels
    agreed: int
    kappa: float | None  # Cohen's κ

    @property
    def raw(self) -> float | None:
        return self.agreed / self.items if self.items else None


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> Agreement:
    """Cohen's κ of two labellers' verdicts on the same items (categorical)."""
    n = len(pairs)
    if not n:
        return Agreement(0, 0, None)
    agreed = sum(1 for a, b in pairs if a == b)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in set(first) | set(second)) / (n * n)
    observed = agreed / n
    kappa = 1.0 if expected >= 1.0 else (observed - expected) / (1 - expected)
    return Agreement(n, agreed, kappa)


def two_labels(verdicts: list[SealedVerdict]) -> dict[str, tuple[SealedVerdict, SealedVerdict]]:
    """The items judged by two labellers, each with its first two verdicts (by round, then labeller)."""
    by_item: dict[str, list[SealedVerdict]] = defaultdict(list)
    for v in verdicts:
        by_item[v.item].append(v)
    out = {}
    for item, vs in by_item.items():
        seen: dict[str, SealedVerdict] = {}
        for v in sorted(vs, key=lambda v: (v.round, v.labeller)):
            seen.setdefault(v.labeller, v)
        if len(seen) >= 2:
            a, b = list(seen.values())[:2]
            out[item] = (a, b)
    return out


# --- what labellers are given ---------------------------------------------------------------------------------
def load_chats(corpus: Path) -> dict[str, Chat]:
    chats: dict[str, Chat] = {}
    with corpus.open(encoding="utf-8") as lines:
        for item in read_chats(lines):
            if isinstance(item, BadLine):
                continue
            number, _, chat = item
            chats[chat.chat_id or f"line-{number}"] = chat
    return chats


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


def clip(text: str, limit: int) -> str:
    """A message as an item shows it: at most `limit` characters, a cut said so."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " […]"


def conversation_before(chat: Chat, index: int) -> list[str]:
    """The messages before message `index`, the last few, each with its author and how long before."""
    at = chat.messages[index].ts
    lines = []
    earlier = chat.messages[:index]
    if len(earlier) > CONTEXT_MESSAGES:
        lines.append(f"   ({len(earlier) - CONTEXT_MESSAGES} earlier messages not shown)")
    for m in earlier[-CONTEXT_MESSAGES:]:
        when = f", {_ago(at - m.ts)} before" if at is not None and m.ts is not None else ""
        text = clip(m.text, MESSAGE_CHARS).replace("\n", "\n      ")
        lines.append(f"   [{m.role}{when}]\n      {text}")
    return lines


def _marked(f: Finding) -> str:
    draft = f.draft
    if f.start is not None and f.end is not None and f.end > f.start:
        draft = draft[:f.start] + "⟦" + draft[f.start:f.end] + "⟧" + draft[f.end:]
    return clip(draft, DRAFT_CHARS)


@dataclass
class RuleBrief:
    id: str
    title: str
    descriptions: dict[str, str | None]  # channel → the description with that channel's thresholds (None: off)


def _rule_header(rules: list[RuleBrief], channels: set[str]) -> list[str]:
    """Each rule's description as it reads in each channel of the items (thresholds differ by channel)."""
    out = ["## The rules (judge each warning by its rule's own description, in the item's channel)", ""]
    for r in rules:
        out += [f"### {r.id} — {r.title}", ""]
        texts: dict[str, list[str]] = {}
        off = []
        for channel in sorted(channels):
            text = r.descriptions.get(channel)
            if text is None:
                off.append(channel)
            else:
                texts.setdefault(text, []).append(channel)
        for text, where in texts.items():
            if len(texts) > 1 or off:
                out.append(f"In {', '.join(CHANNEL_LABELS.get(c, c) for c in where)}:")
            out += [text.strip(), ""]
        if off:
            out += [f"(Not applied in {', '.join(CHANNEL_LABELS.get(c, c) for c in off)}: never flag it there.)", ""]
    return out


def _brief_head(kind: str) -> list[str]:
    if kind == "warnings":
        lines = [
            "# Blind labelling: warnings of a chat coach on real support conversations",
            "",
            "Each item is a warning that a coaching tool gave a support operator about one message they wrote. "
            "Judge each on its own, from the rule's description, the channel and the conversation shown:",
            "",
            "- `correct`: the warning is right by the rule's own description in this context and channel, and a "
            "competent supervisor would agree the operator deserved it;",
            "- `wrong`: otherwise — then give one category:",
        ]
        lines += [f"  - `{k}`: {v}" for k, v in WRONG_CATEGORIES.items()]
        lines += [
            "- `fix` (only where the item shows a proposed fix): `right` when the message as the fix leaves it is a "
            "correct, natural message that keeps the meaning; `wrong` when the fix breaks it (garbles a name, "
            "code or abbreviation, doubles a word, adds something false or odd, changes the meaning).",
            "",
            "Answer in a JSON Lines file, one line per item, e.g.",
            '`{"item": "3f9a1c02b4", "verdict": "wrong", "category": "not_words", "fix": "wrong"}` or',
            '`{"item": "…", "verdict": "correct", "fix": null}`. Judge every item yourself; do not write a '
            "script that decides.",
            "",
        ]
        return lines
    return [
        "# Blind labelling: which coaching rules does each operator message break?",
        "",
        "Each item is one message a support operator sent, with the conversation before it. Name the rules "
        "(ids below) that a competent supervisor would flag this message for, judged by each rule's own "
        "description in this channel — only clear cases; most messages break none.",
        "",
        "Answer in a JSON Lines file, one line per item: `{\"item\": \"m0012\", \"rules\": [\"slow_reply\"]}` "
        "(an empty list when none). Judge every item yourself; do not write a script that decides.",
        "",
    ]


def warning_item_text(f: Finding, chat: Chat, title: str) -> list[str]:
    lines = [f"## item {f.key}", "",
             f"- rule: `{f.rule}` — {title}",
             f"- channel: {CHANNEL_NAMES.get(f.channel, f.channel)}",
             "- conversation before the operator's message:"]
    lines += conversation_before(chat, f.message) or ["   (none: this is the first message)"]
    lines += ["- the operator's message (the flagged piece between ⟦ ⟧, when the warning points at one):",
              "   " + _marked(f).replace("\n", "\n   "),
              f"- the warning the operator saw: {f.text}"]
    fixed = f.fixed
    lines.append("- proposed fix: none" if fixed is None else
                 "- the message as the proposed fix would leave it:\n   " + clip(fixed, DRAFT_CHARS).replace("\n", "\n   "))
    return lines + [""]


def message_item_text(item_id: str, chat: Chat, index: int, channel: str) -> list[str]:
    lines = [f"## item {item_id}", "", f"- channel: {CHANNEL_NAMES.get(channel, channel)}",
             "- conversation before the operator's message:"]
    lines += conversation_before(chat, index) or ["   (none: this is the first message)"]
    lines += ["- the operator's message:", "   " + clip(chat.messages[index].text, DRAFT_CHARS).replace("\n", "\n   "), ""]
    return lines


def write_warning_export(out: Path, findings: list[Finding], chats: dict[str, Chat], rules: list[RuleBrief],
                         round_no: int) -> None:
    """The items file labellers read (items.md) and the index import reads (index.jsonl; no text)."""
    out.mkdir(parents=True, exist_ok=True)
    titles = {r.id: r.title for r in rules}
    used = sorted({f.rule for f in findings})
    lines = _brief_head("warnings") + _rule_header([r for r in rules if r.id in used], {f.channel for f in findings})
    lines += ["# The items", ""]
    index = []
    for f in findings:
        lines += warning_item_text(f, chats[f.chat_id], titles.get(f.rule, f.rule))
        index.append({"item": f.key, "rule": f.rule, "trigger": f.trigger, "lang": f.lang, "channel": f.channel,
                      "chat_id": f.chat_id, "message": f.message, "round": round_no,
                      "fix_digest": fix_digest(f.fixed)})
    (out / "items.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "index.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in index),
                                     encoding="utf-8")


def write_miss_export(out: Path, picked: list[tuple[str, int, str, str]], chats: dict[str, Chat],
                      rules: list[RuleBrief], round_no: int) -> None:
    """`picked`: (chat id, message index, channel, lang) of the operator messages to read."""
    out.mkdir(parents=True, exist_ok=True)
    lines = _brief_head("misses") + _rule_header(rules, {c for _, _, c, _ in picked}) + ["# The items", ""]
    index = []
    for n, (chat_id, message, channel, lang) in enumerate(picked, start=1):
        item_id = f"m{n:04d}"
        lines += message_item_text(item_id, chats[chat_id], message, channel)
        index.append({"item": item_id, "chat_id": chat_id, "message": message, "channel": channel, "lang": lang,
                      "round": round_no})
    (out / "items.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "index.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in index),
                                     encoding="utf-8")


def sample_messages(chats: dict[str, Chat], channels: dict[str, str], langs: Mapping[str, str], size: int,
                    seed: int, exclude: set[tuple[str, int]]) -> list[tuple[str, int, str, str]]:
    """A random sample of sealed operator messages, every language represented (all of a small one)."""
    by_lang: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    for chat_id, chat in sorted(chats.items()):
        if part_of(chat_id) != "sealed":
            continue
        for i, m in enumerate(chat.messages):
            if m.role == "operator" and m.text.strip() and (chat_id, i) not in exclude:
                by_lang[langs[chat_id]].append((chat_id, i, channels[chat_id], langs[chat_id]))
    rng = random.Random(seed)
    share = max(1, size // max(1, len(by_lang)))
    picked: list[tuple[str, int, str, str]] = []
    order = sorted(by_lang, key=lambda lg: len(by_lang[lg]))
    for k, lang in enumerate(order):
        items = by_lang[lang]
        rng.shuffle(items)
        take = min(len(items), max(share, size - len(picked) - share * (len(order) - k - 1)))
        picked += items[:take]
    rng.shuffle(picked)
    return picked[:size]


# --- what comes back ------------------------------------------------------------------------------------------
def read_index(export: Path) -> dict[str, dict[str, Any]]:
    path = export / "index.jsonl"
    if not path.is_file():
        raise BlindError(f"{path}: no such file (the directory written by blind-export or misses-export)")
    return {row["item"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if row}


def read_answers(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BlindError(f"{path.name}: line {number}: not valid JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("item"), str):
            raise BlindError(f"{path.name}: line {number}: an object with \"item\" is expected")
        row["_line"] = number
        rows.append(row)
    return rows


def import_warning_answers(answers: Path, export: Path, labeller: str) -> list[SealedVerdict]:
    index = read_index(export)
    out = []
    for row in read_answers(answers):
        meta = index.get(row["item"])
        where = f"{answers.name}: line {row['_line']}"
        if meta is None:
            raise BlindError(f"{where}: item {row['item']} is not in {export}/index.jsonl")
        verdict = row.get("verdict")
        if verdict not in ("correct", "wrong"):
            raise BlindError(f"{where}: verdict must be \"correct\" or \"wrong\"")
        category = row.get("category") or ""
        if verdict == "wrong" and category not in WRONG_CATEGORIES:
            raise BlindError(f"{where}: a wrong verdict names its category, one of {', '.join(WRONG_CATEGORIES)}")
        fix = row.get("fix")
        if meta["fix_digest"] and fix not in ("right", "wrong"):
            raise BlindError(f"{where}: the item offers a fix: say \"right\" or \"wrong\"")
        out.append(SealedVerdict(item=meta["item"], rule=meta["rule"], trigger=meta["trigger"], lang=meta["lang"],
                                 channel=meta["channel"], chat_id=meta["chat_id"], message=meta["message"],
                                 labeller=labeller, round=meta["round"], verdict=verdict,
                                 category=category if verdict == "wrong" else "",
                                 fix=fix if meta["fix_digest"] else None, fix_digest=meta["fix_digest"]))
    missing = set(index) - {v.item for v in out}
    if missing:
        raise BlindError(f"{answers.name}: {len(missing)} items of the export have no answer")
    return out


def import_miss_answers(answers: Path, export: Path, labeller: str, known_rules: set[str]) -> list[SealedMiss]:
    index = read_index(export)
    out = []
    for row in read_answers(answers):
        meta = index.get(row["item"])
        where = f"{answers.name}: line {row['_line']}"
        if meta is None:
            raise BlindError(f"{where}: item {row['item']} is not in {export}/index.jsonl")
        rules = row.get("rules")
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise BlindError(f"{where}: rules must be a list of rule ids")
        unknown = set(rules) - known_rules
        if unknown:
            raise BlindError(f"{where}: unknown rule ids {', '.join(sorted(unknown))}")
        out.append(SealedMiss(chat_id=meta["chat_id"], message=meta["message"], channel=meta["channel"],
                              lang=meta["lang"], labeller=labeller, round=meta["round"], rules=sorted(set(rules))))
    missing = set(index) - {r["item"] for r in read_answers(answers)}
    if missing:
        raise BlindError(f"{answers.name}: {len(missing)} items of the export have no answer")
    return out
