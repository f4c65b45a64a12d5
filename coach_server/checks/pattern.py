"""`pattern`: regular expressions a supervisor writes for what word lists cannot say.

Patterns are Python regular expressions, case-insensitive unless `ignore_case = false`; `\\b` works for
Cyrillic. The optional `suggestion` template rewrites the matched text (`{match}` is the match).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from .base import Check, Context, LangSection, Settings, render


class Params(Settings):
    ignore_case: bool = True
    skip_quoted: bool = True


class Lang(LangSection):
    patterns: list[str] = Field(default_factory=list)


class PatternError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(problem)
        self.field = field



PatternLang = Lang  # the section model under a name the class attribute `Lang` does not shadow

class PatternCheck(Check[Params, Lang]):
    kind = "pattern"
    typing_reach = "sentence"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match"})

    def compile(self) -> None:
        flags = re.IGNORECASE if self.params.ignore_case else 0
        self.compiled: list[tuple[re.Pattern[str], str]] = []
        for lang, section in self.langs.items():
            for i, source in enumerate(section.patterns):
                try:
                    pattern = re.compile(source, flags)
                except re.error as exc:
                    raise PatternError(f"{lang}.patterns[{i}]", f"not a valid regular expression: {exc}") from None
                if pattern.search("") is not None:
                    raise PatternError(f"{lang}.patterns[{i}]", "matches empty text; it would flag every draft")
                self.compiled.append((pattern, lang))

    @classmethod
    def validate_langs(cls, langs: dict[str, PatternLang]) -> list[tuple[str, str]]:
        if not any(s.patterns for s in langs.values()):
            return [("ru.patterns", "a pattern rule needs at least one pattern")]
        return []

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        for pattern, lang in self.compiled:
            for m in pattern.finditer(draft.text):
                start, end = m.span()
                if self.params.skip_quoted and draft.is_quoted(start, end):
                    continue
                if ctx.typing(start, end):
                    continue
                template = self.fix_section(ctx).suggestion or self.langs[lang].suggestion
                suggestion = render(template, {"match": m.group()}) if template else None
                yield self.warning(ctx, start=start, end=end, suggestion=suggestion, match=m.group())
