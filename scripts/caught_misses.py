"""How many of the sealed part's agreed misses the code of any commit catches — counts only, never a message.

    git worktree add /tmp/then <commit>
    .venv/bin/python scripts/caught_misses.py CORPUS [--code /tmp/then] [--misses quality/sealed-misses.jsonl]
                                              [--channel-map quality/channels.toml]

`coach quality sealed` reports the same figure for the code checked out here; this replays the same moments
(every operator message as it was sent, in its channel) through the code in `--code`, also a commit from
before the quality harness existed (it has no quiet floor: what it caught, it showed). It prints the agreed
flags whose chats are in CORPUS, how many were caught at all and shown, per rule, and a digest of the caught
set, so that two commits can be compared item by item without a message being printed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def agreed_flags(misses: Path) -> set[tuple[str, int, str]]:
    """(chat, message, rule) that both of a message's first two labellers named (as `coach quality sealed`)."""
    rows = [json.loads(line) for line in misses.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_message: dict[tuple[str, int], dict[str, dict]] = defaultdict(dict)
    for m in sorted(rows, key=lambda m: (m["round"], m["labeller"])):
        by_message[(m["chat_id"], m["message"])].setdefault(m["labeller"], m)
    agreed = set()
    for (chat_id, message), labellers in by_message.items():
        if len(labellers) >= 2:
            a, b = list(labellers.values())[:2]
            agreed |= {(chat_id, message, rule) for rule in set(a["rules"]) & set(b["rules"])}
    return agreed


def digest(items: set[tuple[str, int, str]]) -> str:
    return hashlib.sha1(repr(sorted(items)).encode()).hexdigest()[:12]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("--code", type=Path, default=HERE, help="a checkout whose coach_server and rules/ are replayed")
    p.add_argument("--misses", type=Path, default=HERE / "quality" / "sealed-misses.jsonl")
    p.add_argument("--channel-map", type=Path, default=HERE / "quality" / "channels.toml")
    args = p.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    logging.disable(logging.WARNING)
    from coach_server import Coach  # the code under --code
    from coach_server.corpus import moments, parse_chat

    sources: dict[str, str] = tomllib.loads(args.channel_map.read_text(encoding="utf-8"))["sources"]
    agreed = agreed_flags(args.misses)
    wanted = {chat_id for chat_id, _, _ in agreed}
    coach = Coach.load(args.code / "rules")
    has_floor = hasattr(coach, "calibrate")
    fired: set[tuple[str, int, str]] = set()
    shown: set[tuple[str, int, str]] = set()
    present: set[str] = set()
    with args.corpus.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            raw = json.loads(line)
            if str(raw.get("chat_id")) not in wanted:
                continue
            chat = parse_chat(raw, number)
            present.add(chat.chat_id)
            source = raw.get("source") or ""
            channel = chat.channel or next((sources[k] for k in sorted(sources, key=len, reverse=True)
                                            if source.startswith(k)), "chat")
            for moment in moments(chat, typing_cps=0):
                request = moment.request
                request.lang = None
                request.channel = channel
                if has_floor:
                    result = coach.evaluate(request, calibrated=False).result
                    warnings = [(w.rule, not w.quiet) for w in
                                coach.calibrate(result.warnings, result.lang, include_quiet=True)[0]]
                else:
                    warnings = [(w.rule, True) for w in coach.check(request).warnings]
                for rule, is_shown in warnings:
                    fired.add((chat.chat_id, moment.index, rule))
                    if is_shown:
                        shown.add((chat.chat_id, moment.index, rule))
    here = {flag for flag in agreed if flag[0] in present}
    caught, seen = here & fired, here & shown
    print(f"code: {args.code}")
    print(f"agreed flags in this corpus's chats: {len(here)} (of {len(agreed)}); caught at all {len(caught)}, "
          f"shown {len(seen)}")
    per_rule = Counter(rule for _, _, rule in here)
    caught_per_rule = Counter(rule for _, _, rule in caught)
    print("per rule (caught of agreed): " + ", ".join(f"{r} {caught_per_rule[r]}/{n}" for r, n in sorted(per_rule.items())))
    print(f"digest of the caught set {digest(caught)}, of the shown set {digest(seen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
