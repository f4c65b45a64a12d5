"""Auditing exported chats: the corpus format (JSON Lines, docs/audit.md), the audit itself and its reports.

    from coach_server.audit import Audit, read_corpus
    audit = Audit(Coach.load())
    for line, chat in read_corpus(text).chats:
        audit.add(chat, line)
    report = audit.report()
"""
from __future__ import annotations

from ..corpus import BadLine, Chat, CorpusMessage, Moment, moments, parse_line, read_corpus, read_lines
from .runner import Audit, audit_lines

__all__ = ["Audit", "BadLine", "Chat", "CorpusMessage", "Moment", "audit_lines", "moments", "parse_line",
           "read_corpus", "read_lines"]
