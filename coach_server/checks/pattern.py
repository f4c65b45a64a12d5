"""`pattern`: regular expressions a supervisor writes for what word lists cannot say.

Patterns are written in Python's syntax, case-insensitive unless `ignore_case = false`; `\\w`, `\\b` work
for Cyrillic. They run on a linear-time engine (linear_regex.py): what could backtrack — backreferences,
lookarounds — is refused when the rule is loaded. The optional `suggestion` template rewrites the matched
text (`{match}` is the match).
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from .base import Check, Context, LangSection, Settings, render
from .linear_regex import LinearPattern, PatternRefused

MAX_PATTERNS = 200  # per language: each is a pass over the draft on every keystroke
MAX_MATCHES = 200  # per draft, all of a rule's patterns together: the operator reads a few; the loop is spared


class Params(Settings):
    ignore_case: bool = True
    skip_quoted: bool = True


class Lang(LangSection):
    patterns: list[str] = Field(default_factory=list, max_length=MAX_PATTERNS)


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
        self.compiled: list[tuple[LinearPattern, str]] = []
        for lang, section in self.langs.items():
            for i, source in enumerate(section.patterns):
                try:
                    pattern = LinearPattern(source, ignore_case=self.params.ignore_case)
                except PatternRefused as exc:
                    raise PatternError(f"{lang}.patterns[{i}]", str(exc)) from None
                self.compiled.append((pattern, lang))

    @classmethod
    def validate_langs(cls, langs: dict[str, PatternLang]) -> list[tuple[str, str]]:
        if not any(s.patterns for s in langs.values()):
            return [("ru.patterns", "a pattern rule needs at least one pattern")]
        return []

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        left = MAX_MATCHES
        for pattern, lang in self.compiled:
            for start, end in pattern.finditer(draft.text):
                left -= 1
                if left < 0:
                    return
                if self.params.skip_quoted and draft.is_quoted(start, end):
                    continue
                if ctx.typing(start, end):
                    continue
                matched = draft.text[start:end]
                template = self.fix_section(ctx).suggestion or self.langs[lang].suggestion
                suggestion = render(template, {"match": matched}) if template else None
                yield self.warning(ctx, start=start, end=end, suggestion=suggestion, match=matched)
