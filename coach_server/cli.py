"""`coach` — the command line: serve, check, rules check, rules list.

    coach serve [--host 127.0.0.1] [--port 8765] [--rules DIR] [--adapters DIR] [--token-file PATH] [--allow-origin ORIGIN]…
                [--allow-host NAME]… [--debug] [--workers N]
                [--store postgresql://… --rules-from-store | --follow https://team-node:PORT]   (docs/team.md)
    coach check FILE|- [--json] [--rules DIR]      exit 0: no warnings, 1: warnings, 2: bad input
    coach rules check [DIR]                        validate every rule file and run its examples
    coach rules list [DIR]
    coach rules push|history|rollback|pull …       the team's versioned rule sets (team.py, docs/team.md)
    coach audit FILE.jsonl [--html REPORT] [--json]  audit exported chats (docs/audit.md)
    coach quality sample|label|verdict|show|report …  precision on real chats (docs/quality.md)
    coach token [--token-file PATH] [--add NAME [--operator]]   print the supervisor token, or add one
"""
from __future__ import annotations

import argparse
import faulthandler
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .audit.command import add_audit_parser
from .engine import Coach
from .models import JsonInputError, RequestError, parse_json
from .quality.commands import add_quality_parser
from .rulebook.loader import default_rules_dir, load_rulebook
from .rulebook.precision import default_floor
from .server import build_app, run, settle_memory
from .service.guard import GuardConfig, is_loopback_address, parse_origins
from .service.logsafe import configure_logging, debug_requested
from .service.token import (
    MIN_TOKEN_CHARS,
    TokenFileError,
    TokenHolder,
    add_token,
    load_or_create_token,
    load_or_create_tokens,
    read_tokens,
    token_path,
)
from .store import StoreUrlError, open_store
from .team import (
    TeamOptionError,
    add_rules_store_parsers,
    add_team_serve_options,
    check_team_options,
    describe_source,
    follow_warning,
    report_rules,
    team_wiring,
    tls_context,
)
from .workers import port_is_free, run_workers

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _rules_dir(value: str | None) -> Path:
    return Path(value) if value else default_rules_dir()


def _token_file(args: argparse.Namespace) -> Path | None:
    """The token file named on purpose: `--token-file`, else `$COACH_TOKEN_FILE`; None if neither."""
    if getattr(args, "token_file", None):
        return Path(args.token_file)
    explicit = os.environ.get("COACH_TOKEN_FILE")
    return Path(explicit) if explicit else None


def configured_token(path: Path | None) -> tuple[str | None, str]:
    """A token configured for listening beyond loopback: named on purpose, already there, owner-only.
    Returns (token, "") or (None, why not)."""
    holders, why = configured_tokens(path)
    return (holders[0].token, "") if holders else (None, why)


def configured_tokens(path: Path | None) -> tuple[list[TokenHolder], str]:
    """Every token of a configured token file (see configured_token), or ([], why not)."""
    if path is None:
        return [], "no token file is configured (--token-file PATH or $COACH_TOKEN_FILE)"
    try:
        info = path.stat()
        holders = read_tokens(path)
    except FileNotFoundError:
        return [], f"the token file {path} does not exist (create it with `coach token --token-file {path}`)"
    except (OSError, UnicodeDecodeError) as exc:
        return [], f"the token file {path} cannot be read: {exc}"
    except TokenFileError as exc:
        return [], f"the token file {path}: {exc}"
    if stat.S_IMODE(info.st_mode) & 0o077:
        return [], f"the token file {path} is readable by other users (chmod 600 {path})"
    if not holders:
        return [], f"the token file {path} holds no token"
    if any(len(h.token) < MIN_TOKEN_CHARS for h in holders):
        return [], f"a token in {path} is too short (at least {MIN_TOKEN_CHARS} characters)"
    return holders, ""


def cmd_serve(args: argparse.Namespace) -> int:
    debug = debug_requested(args.debug)
    configure_logging(debug=debug)
    # a fatal signal (SIGBUS when SQLite's memory-mapped -shm file cannot grow on a full disk, SIGSEGV) leaves
    # a line and the stack in the log instead of a silent exit (the stack names code, never message text)
    faulthandler.enable()
    try:
        origins = parse_origins([*args.allow_origin, os.environ.get("COACH_ALLOW_ORIGINS", "")])
    except ValueError as exc:
        print(f"coach serve: --allow-origin: {exc}", file=sys.stderr)
        return 2
    token_file = _token_file(args)
    token: str | None
    if is_loopback_address(args.host) and not args.follow:
        try:
            holders = load_or_create_tokens(token_file)
        except TokenFileError as exc:
            print(f"coach serve: the token file {token_file or token_path()}: {exc}", file=sys.stderr)
            return 2
        token = holders[0].token
    else:
        holders, why = configured_tokens(token_file)
        if not holders:
            reason = ("--follow sends a token of the team node" if args.follow and is_loopback_address(args.host)
                      else f"refusing to listen on {args.host or 'every interface'}, which other machines can "
                           "reach, without a configured supervisor token")
            print(f"coach serve: {reason}: {why}.", file=sys.stderr)
            return 2
        token = holders[0].token
    try:
        check_team_options(args, args.store)
        tls = tls_context(args)
    except (TeamOptionError, ValueError) as exc:
        print(f"coach serve: {exc}", file=sys.stderr)
        return 2
    directory = _rules_dir(args.rules)
    coach = Coach.load(directory, min_confidence=args.min_confidence)
    for error in coach.errors:
        print(f"rule file error: {error}", file=sys.stderr)
    if coach.precision_error:
        print(f"measured precision: {coach.precision_error}", file=sys.stderr)
    settle_memory(coach)
    guard = GuardConfig(allowed_origins=origins or None,
                        allowed_hosts=frozenset(h.lower() for h in args.allow_host), bound_host=args.host)
    try:
        store = open_store(args.store, store_text=True if args.store_text else None)
    except StoreUrlError as exc:
        print(f"coach serve: --store: {exc}", file=sys.stderr)
        return 2
    print(f"Feedback store: {store.location if store is not None else 'none (in memory only)'}", flush=True)
    if debug:
        print("Debug logging is on: the log shows what operators type. Do not use it in production.",
              file=sys.stderr, flush=True)
    print(f"Operator Coach {__version__}: {len(coach.rulebook.active)} rules from {directory}", flush=True)
    for line in (describe_source(args, args.store), follow_warning(args)):
        if line:
            print(line, flush=True)
    scheme = "https" if tls is not None else "http"
    workers = f", {args.workers} workers" if args.workers > 1 else ""
    print(f"Listening on {scheme}://{args.host}:{args.port}{workers} (Ctrl+C to stop)", flush=True)

    def serve(worker: int) -> None:
        # each worker its own store object and rule source: connections are made after the fork
        own_store = store if args.workers == 1 else open_store(args.store, store_text=True if args.store_text else None)
        team = team_wiring(args, args.store, holders, (worker, args.workers), rules_dir=coach.rules_dir)
        app = build_app(coach, reload_interval=args.reload_interval, supervisor_token=token, guard=guard,
                        store=own_store, team=team)
        run(app, args.host, args.port, reuse_port=args.workers > 1, ssl_context=tls)

    if args.workers > 1:
        busy = port_is_free(args.host, args.port)
        if busy:
            print(f"coach serve: {busy}", file=sys.stderr)
            return 2
        return run_workers(args.workers, serve)
    serve(0)
    return 0


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def add_min_confidence(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-confidence", type=_confidence, metavar="P",
                        default=default_floor(),
                        help="the floor: warnings whose measured confidence (the Wilson 95 %% lower bound of their "
                             "precision on sealed real chats) is under P are quiet — not shown unless asked for; "
                             "0 shows every warning (default %(default)s: $COACH_MIN_CONFIDENCE, else 0.8; a rule file's "
                             "own min_confidence or show = \"always\" wins)")


def _read_input(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def cmd_check(args: argparse.Namespace) -> int:
    try:
        raw = _read_input(args.file)
    except OSError as exc:
        print(f"coach check: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"coach check: {args.file} is not UTF-8 text (byte {exc.start})", file=sys.stderr)
        return 2
    try:
        data = parse_json(raw, args.file)
    except JsonInputError as exc:
        print(f"coach check: {exc.message}: {exc.details[0].problem}", file=sys.stderr)
        return 2
    coach = Coach.load(_rules_dir(args.rules), min_confidence=args.min_confidence)
    for error in coach.errors:
        print(f"rule file error: {error}", file=sys.stderr)
    try:
        result = coach.check(data)
    except RequestError as exc:
        if args.json:
            print(json.dumps(exc.to_json(), ensure_ascii=False, indent=2))
        else:
            print(f"coach check: {exc.message}", file=sys.stderr)
            for d in exc.details:
                print(f"  {d.field}: {d.problem}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2))
    else:
        draft = data.get("draft", "") if isinstance(data, dict) else ""
        if not result.warnings:
            print("no warnings")
        for w in result.warnings:
            where = ""
            if w.start is not None and w.end is not None:
                where = f" [{w.start}:{w.end}]" + (f" «{draft[w.start:w.end]}»" if w.end > w.start else "")
            print(f"{w.severity:<7} {w.rule}{where}: {w.message}")
            if w.suggestion:
                print(f"        → {w.suggestion}")
    return 1 if result.warnings else 0


def cmd_rules_check(args: argparse.Namespace) -> int:
    directory = _rules_dir(args.dir)
    problems, total = report_rules(directory)
    print(f"{total} rules in {directory}: " + ("all valid, all examples pass" if not problems else f"{problems} problems"))
    return 1 if problems else 0


def cmd_rules_list(args: argparse.Namespace) -> int:
    directory = _rules_dir(args.dir)
    book = load_rulebook(directory)
    for rule in book.rules.values():
        state = "on " if rule.enabled else "off"
        print(f"{state} {rule.spec.severity:<7} {rule.id:<24} {rule.spec.kind:<18} {rule.spec.title}")
    for error in book.errors:
        print(f"error   {error}")
    return 1 if book.errors else 0


def cmd_token(args: argparse.Namespace) -> int:
    path = Path(args.token_file) if args.token_file else token_path()
    if args.add:
        try:
            holder = add_token(path, args.add, "operator" if args.operator else "supervisor")
        except (TokenFileError, OSError) as exc:
            print(f"coach token: {exc}", file=sys.stderr)
            return 2
        print(holder.token)
        if args.verbose:
            print(f"({holder.role} {holder.label!r}, stored in {path})", file=sys.stderr)
        return 0
    try:
        print(load_or_create_token(path))
    except TokenFileError as exc:
        print(f"coach token: {path}: {exc}", file=sys.stderr)
        return 2
    if args.verbose:
        print(f"(stored in {path})", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="Operator Coach: live-chat coaching service and tools")
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the local service for the browser extension")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--rules", metavar="DIR", help="rules directory (default: $COACH_RULES or ./rules)")
    serve.add_argument("--adapters", metavar="DIR",
                       help="console adapters to serve to the extensions and to services that follow this one: one "
                            "JSON file per adapter, published with PUT /v1/adapters/<id> (docs/extension.md)")
    serve.add_argument("--reload-interval", type=float, default=1.0, metavar="S",
                       help="how often to look for rule file changes, seconds (0: never)")
    serve.add_argument("--token-file", metavar="PATH",
                       help="the supervisor token file (default: $COACH_TOKEN_FILE, else "
                            "~/.config/operator-coach/token; created on first start). A --host other than "
                            "loopback needs it configured: named here or in $COACH_TOKEN_FILE, already created, "
                            "owner-only (mode 600); requests from other machines must then carry the token")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="also serve requests from this Origin, e.g. chrome-extension://<id> of a build signed "
                            "with another key, or moz-extension://<uuid> (repeatable; also $COACH_ALLOW_ORIGINS). "
                            "Always served: the Operator Coach extension (its id is pinned by the key in its "
                            "manifest) and the service's own pages; other extensions and web pages never are")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="also accept this name in the Host header (besides 127.0.0.1, localhost, [::1]); "
                            "for a service bound beyond loopback")
    serve.add_argument("--debug", action="store_true",
                       help="debug logging, verbatim: the log then shows drafts and messages (also $COACH_DEBUG=1)")
    serve.add_argument("--store", metavar="URL",
                       help="where feedback (warnings shown/dismissed/applied) is kept: sqlite:///PATH, a file path, "
                            "postgresql://USER@HOST/DB (shared by a team), or none. Default: $COACH_STORE, else "
                            "$XDG_DATA_HOME/operator-coach/feedback.sqlite3")
    serve.add_argument("--store-text", action="store_true",
                       help="turn on storing message text (card numbers, phones and e-mails masked) for "
                            "back-testing; the supervisor page can turn it off again")
    add_min_confidence(serve)
    add_team_serve_options(serve)
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="check one request (the /v1/check JSON) and print the warnings")
    check.add_argument("file", help="a JSON file, or - for stdin")
    check.add_argument("--json", action="store_true", help="print the response body as JSON")
    check.add_argument("--rules", metavar="DIR", help="rules directory")
    add_min_confidence(check)
    check.set_defaults(func=cmd_check)

    token = sub.add_parser("token", help="print the supervisor token (created on first use)")
    token.add_argument("-v", "--verbose", action="store_true", help="also say where it is stored")
    token.add_argument("--token-file", metavar="PATH", help="the token file (default: $COACH_TOKEN_FILE, else "
                                                            "~/.config/operator-coach/token)")
    token.add_argument("--add", metavar="NAME", help="add a new token for NAME to the file and print it (a team "
                                                     "node's supervisors and operators each their own)")
    token.add_argument("--operator", action="store_true", help="with --add: an operator's token (may use the "
                                                               "service and follow its rules, not change them)")
    token.set_defaults(func=cmd_token)

    add_audit_parser(sub)
    add_quality_parser(sub)

    rules = sub.add_parser("rules", help="work with rule files")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    rc = rules_sub.add_parser("check", help="validate rule files and run their examples")
    rc.add_argument("dir", nargs="?", help="rules directory")
    rc.set_defaults(func=cmd_rules_check)
    rl = rules_sub.add_parser("list", help="list the rules")
    rl.add_argument("dir", nargs="?", help="rules directory")
    rl.set_defaults(func=cmd_rules_list)
    add_rules_store_parsers(rules_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
