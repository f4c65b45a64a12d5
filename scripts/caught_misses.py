"""How many of the sealed part's agreed misses the code of any commit catches — counts only, never a message.

    git worktree add /tmp/then <commit>
    .venv/bin/python scripts/caught_misses.py CORPUS [--code /tmp/then] [--misses quality/sealed-misses.jsonl]
                                              [--channel-map quality/channels.toml]

`coach quality sealed` reports the same figure for the code checked out here; this replays the same moments
(every operator message as it was sent, in its chat's channel) through the code in `--code`, also a commit from
before the quality harness existed (it has no quiet floor: what it caught, it showed). The agreed flags and the
channels are this checkout's (`quality.sealed.miss_figures`, `quality.findings.channel_of`); only the replay
runs the other code, in a process of its own. It prints the agreed flags whose chats are in CORPUS, how many
were caught at all and shown, per rule, and a digest of the caught set, so that two commits can be compared
item by item without a message being printed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from coach_server import Coach  # noqa: E402
from coach_server.corpus import BadLine  # noqa: E402
from coach_server.models import DEFAULT_CHANNEL  # noqa: E402
from coach_server.quality.blind import load_misses  # noqa: E402
from coach_server.quality.findings import channel_of, load_channel_map, read_chats  # noqa: E402
from coach_server.quality.sealed import miss_figures  # noqa: E402

# Run by the other code's Python path: stdin [[line, raw chat, channel], …] → stdout [fired, shown], each a list
# of [chat, message, rule]. It uses only what the corpus module and the engine have had all along.
REPLAY = """
import json, logging, sys
sys.path.insert(0, sys.argv[1])
logging.disable(logging.WARNING)
from coach_server import Coach
from coach_server.corpus import moments, parse_chat
coach = Coach.load(sys.argv[1] + "/rules")
has_floor = hasattr(coach, "calibrate")  # (before the quiet floor, every warning was shown)
fired, shown = set(), set()
for line, raw, channel in json.load(sys.stdin):
    chat = parse_chat(raw, line)
    for moment in moments(chat, typing_cps=0):
        request = moment.request
        request.lang = None  # detected, as in the extension
        request.channel = channel
        if has_floor:
            result = coach.evaluate(request, calibrated=False).result
            warnings = [(w.rule, not w.quiet)
                        for w in coach.calibrate(result.warnings, result.lang, include_quiet=True)[0]]
        else:
            warnings = [(w.rule, True) for w in coach.check(request).warnings]
        for rule, is_shown in warnings:
            fired.add((chat.chat_id, moment.index, rule))
            if is_shown:
                shown.add((chat.chat_id, moment.index, rule))
json.dump([sorted(fired), sorted(shown)], sys.stdout)
"""


def digest(items: set[tuple[str, int, str]]) -> str:
    return hashlib.sha1(repr(sorted(items)).encode()).hexdigest()[:12]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("--code", type=Path, default=HERE, help="a checkout whose coach_server and rules/ are replayed")
    p.add_argument("--misses", type=Path, default=HERE / "quality" / "sealed-misses.jsonl")
    p.add_argument("--channel-map", type=Path, default=HERE / "quality" / "channels.toml")
    args = p.parse_args()
    misses = load_misses(args.misses)
    wanted = {m.chat_id for m in misses}
    channel_map = load_channel_map(args.channel_map)
    job = []
    with args.corpus.open(encoding="utf-8") as lines:
        for item in read_chats(lines):
            if isinstance(item, BadLine):
                continue  # (`coach quality sealed` reports the lines the corpus reader refuses)
            number, raw, chat = item
            if chat.chat_id in wanted:
                job.append((number, raw, channel_of(raw, chat, channel_map, DEFAULT_CHANNEL), chat.chat_id))
    replay = subprocess.run([sys.executable, "-c", REPLAY, str(args.code.resolve())],
                            input=json.dumps([job_item[:3] for job_item in job]), capture_output=True, text=True,
                            check=False)
    if replay.returncode != 0:
        print(f"the replay with the code in {args.code} failed:\n{replay.stderr}", file=sys.stderr)
        return 1
    fired, shown = ({(c, i, r) for c, i, r in part} for part in json.loads(replay.stdout))
    rules = sorted(Coach.load(HERE / "rules").rulebook.rules)  # as `coach quality sealed` counts them
    present = {chat_id for *_, chat_id in job}
    figures = miss_figures([m for m in misses if m.chat_id in present], shown, fired, rules)
    agreed = set(figures.agreed_flags)
    caught = agreed & fired
    print(f"code: {args.code}")
    print(f"agreed flags in this corpus's chats: {len(agreed)} "
          f"(of {len(miss_figures(misses, set(), set(), rules).agreed_flags)}); "
          f"caught at all {figures.caught_any}, shown {figures.caught_shown}")
    per_rule = Counter(rule for _, _, rule in agreed)
    caught_per_rule = Counter(rule for _, _, rule in caught)
    print("per rule (caught of agreed): "
          + ", ".join(f"{r} {caught_per_rule[r]}/{n}" for r, n in sorted(per_rule.items())))
    print(f"digest of the caught set {digest(caught)}, of the shown set {digest(agreed & shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
