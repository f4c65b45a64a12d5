"""Closed-class words of Russian and English that the text analysis itself relies on.

These are facts of the languages (pronouns, question words, function words), not coaching policy: what a
rule flags, and with which words, lives in that rule's file under `rules/`.
"""

# Words that open a question (a sentence that starts with one is a question even without "?").
RU_INTERROGATIVES = frozenset(
    "как какой какая какое какие каков какова каково каковы сколько когда где куда откуда почему зачем "
    "отчего что чем кто кого кому чей чья чьё чьи ли разве неужели можно".split()
)
EN_INTERROGATIVES = frozenset(
    "what when where why who whom whose which how is are am was were do does did can could would will "
    "should shall may might have has had isn't aren't don't doesn't didn't can't won't".split()
)
EN_WH_WORDS = frozenset("what when where why who whom whose which how".split())
EN_AUXILIARIES = frozenset(
    "is are am was were do does did can could will would should shall may might must have has had isn't aren't "
    "don't doesn't didn't can't won't wouldn't couldn't shouldn't".split()
)
# What follows an auxiliary in a question without "?": "can you…", "is there…", "does it…"
EN_SUBJECTS = frozenset(
    "i you he she it we they there this that these those anyone anybody someone somebody everyone my your his "
    "her its our their the a an any some".split()
)
# Requests for information phrased as imperatives: "Подскажите, сколько…" is a question.
RU_ASKING_VERBS = frozenset({"подсказать", "сказать", "уточнить", "объяснить", "рассказать"})
EN_ASKING_VERBS = frozenset({"tell", "explain", "advise"})

# Words that carry no topic: left out when comparing what a question and an answer are about.
RU_STOP_LEMMAS = frozenset(
    """
    и а но или да нет не ни же ли бы вот вон это этот тот такой так там тут здесь где когда как какой
    который что чтобы чем кто весь всё все сам свой мой твой ваш наш его её их он она оно они я ты вы мы
    себя быть мочь хотеть нужно надо можно уже ещё очень просто тоже также если то же ведь только
    в во на за под над о об обо от до из у к ко с со по при про для без через между после перед около
    сколько почему зачем куда откуда есть нету пожалуйста спасибо здравствуйте добрый привет
    скажите подсказать подскажите сказать уточнить хорошо ладно ок окей ну вообще какой-то что-то
    сейчас сегодня завтра вчера потом пока
    """.split()
)
EN_STOP_WORDS = frozenset(
    """
    a an the and or but if then so to of in on at by for with from about as into over after before
    is are was were be been being am do does did done have has had can could will would shall should
    may might must i you he she it we they me him her us them my your his its our their this that these
    those there here what when where why who whom which how not no yes please thank thanks hello hi
    just also too very really any some all there's it's i'm you're we're don't doesn't didn't can't
    won't isn't aren't let me okay ok well now today tomorrow we've we'd we'll i've i'd i'll you've you'd
    you'll they're they've that's what's let's here's
    """.split()
)
# Function words that only English text contains: evidence that a Latin-script text is English,
# not a brand name inside Russian text.
EN_FUNCTION_WORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from is are was were be been am do does did have has
    had can could will would should may might must i you he she it we they me my your our their this that
    these those there here what when where why who which how not no yes please thank thanks hello hi
    hey dear sorry welcome ok okay just let i'm you're we're it's don't can't won't isn't
    """.split()
)

RU_FORMAL_PRONOUNS = frozenset({"вы", "вас", "вам", "вами", "ваш", "ваша", "ваше", "ваши", "вашего", "вашей",
                                "вашему", "вашим", "вашими", "вашу", "ваших", "вашем"})
RU_INFORMAL_PRONOUNS = frozenset({"ты", "тебя", "тебе", "тобой", "тобою", "твой", "твоя", "твоё", "твое",
                                  "твои", "твоего", "твоей", "твоему", "твоим", "твоими", "твою", "твоих",
                                  "твоём", "твоем"})
