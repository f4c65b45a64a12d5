"""The check kinds a rule file can name in `kind = "..."`. One module per kind."""
from __future__ import annotations

from .base import AnyCheck
from .caps import CapsCheck
from .closing import ClosingCheck
from .contact_request import ContactRequestCheck
from .deferral import DeferralCheck
from .empathy import EmpathyCheck
from .formality import FormalityCheck
from .imperative import ImperativeCheck
from .introduction import IntroductionCheck
from .language import LanguageCheck
from .lexicon import LexiconCheck
from .links import LinksCheck
from .metric import MetricCheck
from .pattern import PatternCheck
from .question_coverage import QuestionCoverageCheck
from .repetition import RepetitionCheck
from .spelling import SpellingCheck
from .timer import TimerCheck

KINDS: dict[str, type[AnyCheck]] = {
    cls.kind: cls
    for cls in (
        LexiconCheck, PatternCheck, MetricCheck, TimerCheck,
        ImperativeCheck, RepetitionCheck, ContactRequestCheck, QuestionCoverageCheck, LinksCheck, CapsCheck,
        IntroductionCheck, FormalityCheck, ClosingCheck, EmpathyCheck, DeferralCheck, LanguageCheck,
        SpellingCheck,
    )
}
