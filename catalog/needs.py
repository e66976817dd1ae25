"""Turn a workflow request into the needs to search for: drop schedule and time phrases, split
into clauses, fold fragments into the clause before, and cap how many needs one request makes.

Schedule phrases ("every Monday at 9am", "born on March 3, 2015 at 6:00 am") say *when* a
workflow runs, not which system it needs; searched as needs they found monday.com and the time
server. This is a minimal filter for that purpose only, not a schedule parser.
"""

import re

from catalog.capabilities import request_capabilities
from catalog.naming import uncapitalise_sentence_starts
from catalog.normalise import has_cjk, normalise_request

# Each alternative is one kind of time phrase; they are removed before splitting.
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|weekday|weekend"
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_UNIT = (
    r"minutes?|hours?|days?|nights?|mornings?|evenings?|afternoons?|weeks?|months?|quarters?"
    r"|years?"
)
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midnight)"
_AT = rf"(?:\s+(?:at|by|around)\s+{_CLOCK})?"
_TIME_PHRASES = re.compile(
    r"\b(?:"
    rf"(?:every|each|once\s+(?:a|an|per))\s+(?:other\s+|\d+\s+)?(?:{_DAY}s?|{_UNIT}){_AT}"
    rf"(?:\s+(?:on|in)\s+(?:the\s+)?(?:{_DAY}s?|morning|evening|afternoon|night))?"
    rf"|(?:on|every|each)\s+(?:the\s+)?(?:first|last|\d{{1,2}}(?:st|nd|rd|th)?)\s+"
    rf"(?:(?:week)?day|{_DAY})\s+of\s+(?:each|every|the)\s+(?:month|week|quarter|year)"
    rf"|(?:at|by)\s+the\s+(?:end|start|beginning)\s+of\s+(?:each|every|the|this|next)\s+(?:{_UNIT})"
    r"|(?:once|twice|three\s+times)\s+(?:a|an|per)\s+(?:day|week|month|hour)"
    rf"|(?:on\s+)?(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?{_AT}"
    rf"|(?:on\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})(?:,?\s+\d{{4}})?{_AT}"
    rf"|(?:today|tonight|tomorrow|yesterday)(?:\s+(?:morning|evening|night|afternoon))?{_AT}"
    rf"|(?:next|this|last)\s+(?:{_DAY}|{_UNIT}){_AT}"
    rf"|on\s+(?:{_DAY})s?{_AT}|in\s+the\s+(?:morning|evening|afternoon)"
    r"|(?:daily|weekly|monthly|hourly|nightly|yearly)"
    rf"|(?:at|by|around)\s+{_CLOCK}(?=\W|$)"
    rf"|(?:on\s+)?(?:her|his|my|their|your)\s+birthday"
    r")\b(?!\.\w)",  # not the start of an address: "on monday.com" is no weekday
    re.IGNORECASE,
)
# Words that start a new need: "summarise X and post to Y", "do X, then Y", "X; Y".
_SPLIT = re.compile(
    r"\s*(?:[;.!?]+\s+|[、。；！？]+\s*|,\s*(?:and\s+|then\s+)?|\s+and\s+then\s+|\s+then\s+|\s+&\s+"
    r"|\s+and\s+(?!that\s|which\s|who\s)"  # "remember that A and that B" is one need
    r"|\s+(?:plus|also|after that|afterwards)\s+"
    r"|\s+(?:y|und|et|e|и)\s+"  # "and" in Spanish, German, French, Italian, Russian
    # a trigger is its own need, but not the question a verb asks ("find when 3.14 is out")
    r"|(?<!\bfind)(?<!\bknow)(?<!\bcheck)(?<!\bsee)(?<!\bask)(?<!\bout)(?<!\bsure)(?<!\bwonder)"
    r"(?<!\bremember)(?<!\bverify)(?<!\bconfirm)"
    r"\s+(?=(?:when|whenever|every time|each time|once|if)\s)"
    r"|\s+(?=(?:post|send|notify|save|store|write|add|create)\s))",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    "a an the to in on of for from with by at into our my your their this that these those it its"
    " me us we i you them all every each any some new when whenever time once if"
    # the words that order the steps ("Then send …", "Finally post …") are no part of one
    " then finally lastly also please".split()
)
MAX_NEEDS = 8  # search_mcp_servers takes at most this many queries


# Text the person hands over to be worked on, not words about what to do with it: a quoted
# passage of four or more words ("Proofread this: 'Their going to the park, weather or not it
# rains'", a tweet to post) or a code block. Its words would otherwise split into needs and find
# servers for what the text talks about (the weather, a time zone in a SQL default).
_PASSAGE = re.compile(
    r"```.*?(?:```|$)"
    r"|(?<![\w'])'(?=[^'\n]*\s[^'\n]*\s[^'\n]*\s)[^'\n]{8,}'(?![\w'])"
    r'|"(?=[^"\n]*\s[^"\n]*\s[^"\n]*\s)[^"\n]{8,}"'
    r"|[‘“«„](?=[^’”»“\n]*\s[^’”»“\n]*\s[^’”»“\n]*\s)[^’”»“\n]{8,}[’”»“]",
    re.DOTALL,
)


def strip_passages(text: str) -> str:
    """``text`` with each quoted passage and code block it hands over replaced by a stand-in
    ("Tweet: 'v2 is live, try it today!'" → "Tweet: the quoted text")."""
    return _PASSAGE.sub(
        lambda m: " the code " if m.group().startswith("`") else " the quoted text ", text
    )


def strip_time_phrases(text: str) -> str:
    """``text`` without schedule and date phrases ("Every Monday at 9am, export…" → "export…")."""
    stripped = _TIME_PHRASES.sub(" ", text)
    stripped = re.sub(r"\s+([,;.!?])", r"\1", stripped)
    stripped = re.sub(r"^[\s,;:.]+|(?<=[,;])[\s,;]+(?=[,;])", "", stripped)
    return re.sub(r"\s{2,}", " ", stripped).strip(" ,;")


# The agent being built, as a request refers to it ("allow the agent to read files", "I want an
# assistant that can run code"): the words say who acts, not which system it needs.
_SELF = r"(?:the|my|our|this|an?|your)\s+(?:ai\s+)?(?:agent|assistant|bot)"
_SELF_REFERENCES = re.compile(
    rf"\b(?:(?:please\s+)?(?:allow|let|enable|permit|get)\s+{_SELF}\s+(?:to\s+)?"
    rf"|(?:i\s+(?:want|need|would\s+like)|give\s+me|build(?:\s+me)?|create(?:\s+me)?"
    rf"|make(?:\s+me)?|set\s+up)\s+{_SELF}(?:\s+(?:that|which|who)|\s+to|\s+for)?"
    rf"(?:\s+(?:can|will|should|could))?\s+"
    rf"|{_SELF}\s+(?:that|which)\s+(?:can|will|should)\s+)",
    re.IGNORECASE,
)


def strip_self_references(text: str) -> str:
    """``text`` without the phrases that refer to the agent itself ("let the agent ...")."""
    return re.sub(r"\s{2,}", " ", _SELF_REFERENCES.sub(" ", text)).strip()


_TO_USER = re.compile(
    r"^(?:and\s+|then\s+|also\s+)*(?:(?:give|tell|show|send|hand)\s+(?:it\s+to\s+)?me\b"
    r"|let\s+me\s+know\b|(?:notify|alert)\s+me\b(?!\s+(?:on|in|via|by|through)\b))",
    re.IGNORECASE,
)


# Steps the agent's model does itself, on what the other steps fetched: comparing, classifying,
# summarising, drafting. A clause that is only such a step and names no service needs none.
_OWN_WORK = re.compile(
    r"^(?:and\s+|then\s+|also\s+|finally\s+)*(?:(?:can|could|would|will)\s+you\s+|please\s+)?"
    r"(?:compare|classify|categori[sz]e|summari[sz]e"
    r"|explain|decide|judge|rank|rate|score|pick\s+out|note|draft|rewrite|proofread|estimate"
    r"|describe\s+(?:the\s+|any\s+)?(?:main\s+|key\s+)?(?:trends?|patterns?|findings|insights)"
    # "write me a haiku about a merge conflict": for the person, who is no recipient to reach
    r"|write\s+(?:me\s+|us\s+)?(?:an?\s+|the\s+)?(?:[\w'-]+\s+){0,3}(?:note|summary|description"
    r"|draft|paragraph|message|letter|reply|caption|bio"
    r"|sentence|commit\s+message|changelog|postmortem|review|report|script|thread|poem|limerick"
    r"|haiku|sonnet|story|stories|joke|riddle|song|lyrics|essay|toast|speech|slogan|tagline|rap"
    r"|verse|pun)s?"
    # "turn this into a markdown table: apples 3, pears 5": text given in the chat, reshaped
    r"|(?:turn|make|format|reformat)\s+(?:this|these|that|it)\s+(?:list\s+)?into\s+(?:an?\s+)?"
    r"(?:markdown\s+|nice\s+|neat\s+)?(?:table|list|bullet(?:ed)?\s+(?:points|list)|outline))\b",
    re.IGNORECASE,
)


def is_own_work(need: str) -> bool:
    """Whether ``need`` is a step the agent's model does itself ("compare how each one builds
    its index", "classify each failure"), which needs no server unless it names one."""
    return _OWN_WORK.search(need) is not None


# A question for the model itself: the person asks for its view or says no lookup is needed
# ("in your opinion, Python or Rust?", "no need to look anything up").
_OWN_VIEW = re.compile(
    r"\b(?:in\s+your\s+(?:own\s+|honest\s+)?opinion|(?:just|only)\s+your\s+(?:opinion|take|view)"
    r"|no\s+need\s+to\s+(?:look\s+(?:anything|it)\s+up|search)|(?:don'?t|do\s+not)\s+look\s+"
    r"(?:anything|it)\s+up|without\s+looking\s+(?:anything|it)\s+up|from\s+your\s+own\s+knowledge"
    r"|(?:just|purely|only)\s+conceptually|conceptually\s+speaking"
    r"|no\s+need\s+to\s+(?:touch|open|access|check|connect\s+to)\s+(?:any|my|our|the)\b"
    # a poem or a joke about a thing is written, not looked up ("a haiku about a git merge
    # conflict"), unless it is about the person's own data ("about our latest release")
    r"|^\W*(?:please\s+)?(?:write|compose|make\s+up|tell)\s+(?:me\s+|us\s+)?(?:an?\s+)?"
    r"(?:[\w'-]+\s+){0,2}(?:poem|limerick|haiku|sonnet|joke|riddle|song|lyrics|rap|verse|pun)s?"
    r"\s+(?:about|on)\b(?!.*\b(?:my|our|today'?s|tonight'?s|latest|recent|this\s+week'?s)\b))\b",
    re.IGNORECASE | re.S,
)


def asks_for_own_view(request: str) -> bool:
    """Whether ``request`` asks the model for its own view and no lookup ("just your opinion"):
    it needs no tool, whatever it mentions."""
    return _OWN_VIEW.search(request) is not None


def is_reply_to_user(need: str) -> bool:
    """Whether ``need`` only hands a result to the person ("tell me whether anything fails",
    "give me the audio file"), which the chat does; "notify me on Slack" is not."""
    return _TO_USER.search(need) is not None


# An aside in parentheses ("(I think INV-0042 and INV-0057 are among them)") belongs to its
# clause: its "and" or comma starts no need.
_ASIDE = re.compile(r"\([^()]{1,200}\)")


def _split_clauses(text: str) -> list[str]:
    asides: list[str] = []

    def hide(m: re.Match[str]) -> str:
        asides.append(m.group())
        return f"\x00{len(asides) - 1}\x00"

    parts = _SPLIT.split(_ASIDE.sub(hide, text))
    return [re.sub(r"\x00(\d+)\x00", lambda m: asides[int(m.group(1))], p) for p in parts]


# What the person says they will do themselves ("I'll paste it into Slack myself") is no step
# of the agent's, whatever service it names.
_MYSELF = re.compile(
    r"(?:^|(?<=[,;.!?]))\s*(?:and\s+|but\s+)?i(?:'ll|\s+will|\s+can|'m\s+going\s+to"
    r"|\s+am\s+going\s+to)\s[^,;.!?]*\bmyself\b",
    re.IGNORECASE,
)
# Idioms whose words are a service's topic: "feeling under the weather" is no forecast.
_IDIOMS = re.compile(r"\bunder\s+the\s+weather\b", re.IGNORECASE)


def _content(part: str) -> list[str]:
    return [w for w in re.findall(r"[\w.#+-]+", part.lower()) if w not in _STOPWORDS]


def split_needs(request: str, *, max_needs: int = MAX_NEEDS) -> list[str]:
    """Split a workflow request into the separate needs it names (at most ``max_needs``).

    >>> split_needs("Summarise new GitHub issues and post the summary to Slack")
    ['Summarise new GitHub issues', 'post the summary to Slack']
    """
    needs: list[str] = []
    text = strip_passages(_IDIOMS.sub("unwell", normalise_request(request)))
    text = _MYSELF.sub("", text)
    text = strip_self_references(strip_time_phrases(text))
    if not has_cjk(text):
        text = uncapitalise_sentence_starts(text)
    lead = ""  # a first fragment ("read" of "read and write files") joins the need after it
    for part in (p.strip(" ,.;:!?") for p in _split_clauses(text)):
        content = _content(part)
        if lead:
            part, lead = f"{lead} and {part}", ""
            content = _content(part)
        if len(content) >= 2:
            needs.append(part)
        elif content and not needs:
            lead = part
        elif content:  # a fragment like "log in" belongs to the need before it
            needs[-1] = f"{needs[-1]}, {part}"
    if lead:
        needs.append(lead)
    # a capability named in passing ("... by email") is a need too; a long request keeps room
    # for them (at most half the needs) by folding its last clauses together, losing no words
    extras = request_capabilities(needs)
    extras = extras[: max_needs // 2]
    room = max_needs - len(extras)
    if len(needs) > room:
        needs = [*needs[: room - 1], ", ".join(needs[room - 1 :])]
    needs += [extra for extra in extras if extra not in needs]
    return needs or ([request.strip()] if request.strip() else [])
