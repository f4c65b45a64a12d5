"""The command line of a team (docs/team.md): versioned rule sets in the team's PostgreSQL store, and the
options of `coach serve` that make a node of several, or an operator's service that follows a team node.

    coach rules push [DIR] --store postgresql://…  [--author NAME] [--message TEXT] [--base VERSION]
    coach rules history --store postgresql://…    [--limit 20] [--diff] [--json]
    coach rules rollback VERSION --store postgresql://… [--author NAME]
    coach rules pull [DIR] --store postgresql://… [--version N]

    coach serve --store postgresql://… --rules-from-store [--workers N] [--tls-cert PEM --tls-key PEM]
    coach serve --follow https://team-node:PORT --token-file PATH [--follow-ca PEM] [--follow-interval S]

`rules push` validates the directory exactly as `coach rules check` does and refuses a set with any
problem, printing the same lines. Exit status: 0 done (or nothing to do), 1 refused (problems in the rules,
or `--base` is no longer the newest version), 2 the store cannot be used.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import json
import os
import socket
import ssl
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from .engine import Coach
from .rulebook.examples import missing_examples, run_examples
from .rulebook.loader import check_version, default_rules_dir, load_rulebook
from .rulebook.ruleset import StaleBase, UnusableVersion, changes, read_directory, summarize_changes, write_directory
from .server import TeamWiring
from .service.follow import TeamNode, check_follow_url
from .service.guard import is_loopback_address
from .service.rulewatch import CHECK_INTERVAL_S, RuleSource
from .service.teamwatch import TeamNodeFigures
from .service.token import TokenHolder
from .store import StoreUnavailable, default_store_path
from .store.rulesets import RuleSetStore

T = TypeVar("T")
MAX_WORKERS = 64
DEFAULT_FOLLOW_INTERVAL_S = 15.0


# --- `coach rules check`, shared with push --------------------------------------------------------------
def report_rules(directory: Path) -> tuple[int, int]:
    """Validate every rule file and run its examples, printing what `coach rules check` prints.
    Returns (problems, rules)."""
    coach = Coach(load_rulebook(directory))
    problems = 0
    for error in coach.errors:
        print(f"error   {error}")
        problems += 1
    for rule in coach.rulebook.rules.values():
        for failure in run_examples(coach, rule):
            print(f"example {rule.path.name}: {failure.kind}[{failure.index}] ({failure.example.lang}) "
                  f"{failure.example.draft!r}: {failure.problem}")
            problems += 1
        for missing in missing_examples(rule):
            print(f"note    {rule.path.name}: {missing}")
    return problems, len(coach.rulebook.rules)


# --- the store --------------------------------------------------------------------------------------------
def store_url(value: str | None) -> str:
    """The team store's URL from --store or $COACH_STORE; ValueError unless it is PostgreSQL."""
    url = (value or os.environ.get("COACH_STORE") or "").strip()
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError("versioned rules live in the team's PostgreSQL store: give --store postgresql://USER@HOST/DB "
                         "(or $COACH_STORE)")
    return url


def default_author() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()}"


class CommandExit(Exception):
    """A `coach rules …` command ends here with this exit status (what went wrong is already printed)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def exits(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CommandExit as done:
            return done.code
    return run


def fail(command: str, message: str, code: int) -> CommandExit:
    print(f"coach rules {command}: {message}", file=sys.stderr)
    return CommandExit(code)


def team_store(command: str, value: str | None) -> str:
    """The store's URL, or the command fails (2) saying what to give."""
    try:
        return store_url(value)
    except ValueError as exc:
        raise fail(command, str(exc), 2) from None


def ask_store(command: str, url: str, work: Callable[[RuleSetStore], Coroutine[Any, Any, T]]) -> T:
    """`work` against the team's store (its connections closed after); an unreachable store fails (2), a
    missing version (LookupError) is refused (1)."""
    async def run() -> T:
        store = RuleSetStore(url)
        try:
            return await work(store)
        finally:
            await store.close()
    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        raise fail(command, str(exc), 2) from None
    except LookupError as exc:
        raise fail(command, str(exc), 1) from None


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "?"


@exits
def cmd_rules_push(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else default_rules_dir()
    url = team_store("push", args.store)
    problems, total = report_rules(directory)
    if problems or total == 0:
        why = f"{problems} problems" if problems else "no rule files"
        print(f"refused: {total} rules in {directory}: {why} (the same as `coach rules check` reports); "
              "nothing was pushed")
        return 1
    ruleset = read_directory(directory)
    author = args.author or default_author()
    try:
        version = ask_store("push", url, lambda store: store.commit(
            ruleset.files, author=author, summary=args.message, base_version=args.base))
    except StaleBase as exc:
        print(f"refused: {exc.problem}; pull the newest version, apply your change and push again "
              "(or push without --base)")
        return 1
    if version is None:
        print(f"nothing to push: the store's newest version already holds these {total} files")
        return 0
    print(f"version {version.version} pushed by {author}: {total} rules from {directory}")
    return 0


@exits
def cmd_rules_history(args: argparse.Namespace) -> int:
    items = ask_store("history", team_store("history", args.store), lambda store: store.history(limit=args.limit))
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("the store holds no rule set yet (coach rules push --store …)")
    for item in items:
        restores = f" (restores {item['restores']})" if item["restores"] else ""
        print(f"{item['version']:>5}  {_when(item['created_at'])}  {item['author']}  {item['summary']}{restores}")
        if args.diff:
            for change in item["changes"]:
                print(change["diff"].rstrip("\n") if change["diff"] else f"       {change['file']} {change['change']}")
            print()
    return 0


@exits
def cmd_rules_rollback(args: argparse.Namespace) -> int:
    author = args.author or default_author()
    try:
        restored = ask_store("rollback", team_store("rollback", args.store),
                             lambda store: store.rollback(args.version, author=author, check=check_version))
    except UnusableVersion as exc:
        print(f"refused: version {args.version} cannot be restored, its files do not load (nothing was changed):")
        for problem in exc.problems:
            print(f"error   {problem}")
        return 1
    if restored is None:
        print(f"nothing to do: the newest version already holds the files of version {args.version}")
        return 0
    print(f"version {restored.version}: the files of version {args.version} again (by {author})")
    return 0


@exits
def cmd_rules_pull(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else default_rules_dir()
    ruleset = ask_store("pull", team_store("pull", args.store), lambda store: store.fetch(args.version))
    if ruleset is None:
        raise fail("pull", f"there is no version {args.version}" if args.version is not None else
                   "the store holds no rule set yet", 1)
    try:
        before = read_directory(directory).files if directory.is_dir() else {}
        write_directory(ruleset, directory)
    except OSError as exc:
        raise fail("pull", f"{directory}: {exc.strerror or exc}", 2) from None
    print(f"version {ruleset.version} ({len(ruleset.files)} files) in {directory}: "
          f"{summarize_changes(changes(before, ruleset.files))}")
    return 0


def add_rules_store_parsers(rules_sub: Any) -> None:
    """`coach rules push|history|rollback|pull` (beside `rules check` and `rules list`)."""
    store_help = "the team's PostgreSQL store: postgresql://USER@HOST/DB (default: $COACH_STORE)"
    push = rules_sub.add_parser("push", help="upload a rules directory as the team's newest version")
    push.add_argument("dir", nargs="?", help="rules directory (default: $COACH_RULES or ./rules)")
    push.add_argument("--store", metavar="URL", help=store_help)
    push.add_argument("--author", help="who pushes (default: user@host)")
    push.add_argument("--message", help="a one-line summary (default: which files changed)")
    push.add_argument("--base", type=int, metavar="VERSION",
                      help="refuse when the newest version is no longer VERSION (someone changed the rules since)")
    push.set_defaults(func=cmd_rules_push)
    history = rules_sub.add_parser("history", help="the team's rule set versions, newest first")
    history.add_argument("--store", metavar="URL", help=store_help)
    history.add_argument("--limit", type=int, default=20, help="how many versions (default 20)")
    history.add_argument("--diff", action="store_true", help="show what changed in each file")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(func=cmd_rules_history)
    rollback = rules_sub.add_parser("rollback", help="make the files of an earlier version the newest version")
    rollback.add_argument("version", type=int, metavar="VERSION")
    rollback.add_argument("--store", metavar="URL", help=store_help)
    rollback.add_argument("--author", help="who rolls back (default: user@host)")
    rollback.set_defaults(func=cmd_rules_rollback)
    pull = rules_sub.add_parser("pull", help="write a version's files into a rules directory (others removed)")
    pull.add_argument("dir", nargs="?", help="rules directory (default: $COACH_RULES or ./rules)")
    pull.add_argument("--store", metavar="URL", help=store_help)
    pull.add_argument("--version", type=int, metavar="N", help="which version (default: the newest)")
    pull.set_defaults(func=cmd_rules_pull)


# --- `coach serve` in a team -----------------------------------------------------------------------------
def add_team_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--rules-from-store", action="store_true",
                       help="serve the newest rule set version of the team's PostgreSQL store (--store) and follow "
                            "it (LISTEN/NOTIFY); saves make new versions there (docs/team.md)")
    serve.add_argument("--follow", metavar="URL",
                       help="keep the rules in step with a team node (https://team-node:PORT), sending the token "
                            "of --token-file; no database credentials needed here (docs/team.md)")
    serve.add_argument("--follow-ca", metavar="PEM", help="with --follow: the certificate (or CA) the team node's "
                                                          "HTTPS is checked against (default: the system's)")
    serve.add_argument("--follow-interval", type=float, default=DEFAULT_FOLLOW_INTERVAL_S, metavar="S",
                       help=f"with --follow: the longest wait between two looks at the team node (default "
                            f"{DEFAULT_FOLLOW_INTERVAL_S:g}; a change arrives at once: the node answers a waiting "
                            "request as soon as its rules change)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="processes serving the port (SO_REUSEPORT), e.g. one per core (default 1)")
    serve.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain) …")
    serve.add_argument("--tls-key", metavar="PEM", help="… and this private key")


class TeamOptionError(ValueError):
    pass


def snapshot_path(location: str) -> Path:
    """Where the last good version of a source's rules is kept (one file per source)."""
    slug = hashlib.sha256(location.encode()).hexdigest()[:16]
    return default_store_path().parent / "rule-sets" / f"{slug}.json"


def versions_path(rules_dir: Path) -> Path:
    """Where the versions of a rules directory are kept (one directory per rules directory, by its path)."""
    slug = hashlib.sha256(str(rules_dir.resolve()).encode()).hexdigest()[:16]
    return default_store_path().parent / "rule-versions" / slug


def check_team_options(args: argparse.Namespace, store: str | None) -> None:
    """Refuse combinations that cannot work, before anything starts (TeamOptionError says why)."""
    if args.rules_from_store and args.follow:
        raise TeamOptionError("--rules-from-store and --follow exclude each other: a service takes its rules from "
                              "the team's store or from a team node")
    if args.rules_from_store:
        store_url(store)
    if args.follow:
        check_follow_url(args.follow)
        if not args.follow_interval > 0:
            raise TeamOptionError("--follow-interval must be more than 0 seconds")
    if args.follow_ca and not args.follow:
        raise TeamOptionError("--follow-ca goes with --follow")
    if not 1 <= args.workers <= MAX_WORKERS:
        raise TeamOptionError(f"--workers is 1 to {MAX_WORKERS}")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise TeamOptionError("--tls-cert and --tls-key go together")


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise TeamOptionError(f"--tls-cert/--tls-key: {exc}") from None
    return context


def follow_warning(args: argparse.Namespace) -> str | None:
    """A word about sending the token in clear text to another machine."""
    if not args.follow:
        return None
    url = check_follow_url(args.follow)
    host = url.split("://", 1)[1].rsplit(":", 1)[0]
    if url.startswith("http://") and not is_loopback_address(host):
        return (f"--follow {url}: the token goes over the network unencrypted; serve the team node with "
                "--tls-cert/--tls-key (or behind an HTTPS proxy) and follow https://")
    return None


def rules_source(args: argparse.Namespace, store: str | None, tokens: list[TokenHolder]) -> RuleSource | None:
    """A new source of rules for one worker (each makes its own connections), or None: the directory."""
    if args.rules_from_store:
        return RuleSetStore(store_url(store))
    if args.follow:
        context = None
        if args.follow_ca:
            try:
                context = ssl.create_default_context(cafile=args.follow_ca)
            except (OSError, ssl.SSLError) as exc:
                raise TeamOptionError(f"--follow-ca: {exc}") from None
        return TeamNode(args.follow, tokens[0].token, ssl_context=context)
    return None


def team_wiring(args: argparse.Namespace, store: str | None, tokens: list[TokenHolder],
                worker: tuple[int, int], rules_dir: Path | None = None) -> TeamWiring:
    source = rules_source(args, store, tokens)
    snapshot = snapshot_path(source.location) if source is not None else None
    # a follower takes the team node's console adapters too (with a connection of their own)
    adapter_source = rules_source(args, store, tokens) if args.follow else None
    return TeamWiring(rules_source=source, snapshot=snapshot,
                      tokens=tokens, worker=worker,
                      check_interval=args.follow_interval if args.follow else CHECK_INTERVAL_S,
                      adapters_dir=Path(args.adapters) if getattr(args, "adapters", None) else None,
                      adapter_source=adapter_source if isinstance(adapter_source, TeamNode) else None,
                      adapter_snapshot=snapshot.with_suffix(".adapters.json") if adapter_source and snapshot else None,
                      # a directory of rules keeps its versions beside the service's data (the page's «История»)
                      rule_versions=versions_path(rules_dir) if source is None and rules_dir is not None else None,
                      # a follower takes the team's figures (its supervisors' verdicts) from the node as well
                      team_figures=TeamNodeFigures(figures) if isinstance(figures := rules_source(args, store, tokens),
                                                                          TeamNode) else None,
                      team_snapshot=snapshot.with_suffix(".team.json") if args.follow and snapshot else None)


def describe_source(args: argparse.Namespace, store: str | None) -> str | None:
    """The start-up line about where the rules come from (None: the directory, said elsewhere)."""
    if args.rules_from_store:
        source = RuleSetStore(store_url(store))
        return (f"Rules: the newest version in {source.location}, followed (LISTEN/NOTIFY, checked every "
                f"{CHECK_INTERVAL_S:g} s); the rules directory only until the store first answers")
    if args.follow:
        return (f"Rules: following the team node {check_follow_url(args.follow)} (a change arrives at once; "
                f"looked at every {args.follow_interval:g} s at least)")
    return None
