"""The short replies that move a conversation on: "done" once the credentials are entered,
"start" once the agent is built, in the ways people say them and in the languages requests
come in."""

import re

__all__ = ["asks_to_start", "says_done"]

_CONTINUE = re.compile(
    r"^\W*(?:ok(?:ay)?[,.!]?\s+|yes[,.!]?\s+|alright[,.!]?\s+|great[,.!]?\s+)?(?:i\s+)?"
    r"(done|ok(ay)?|yes|yep|sure|ready|continue|go( ahead)?|build( it)?|added|saved|entered|"
    r"finished|all set|that'?s it|(i('ve| have) )?(added|saved|entered|provided|put in|filled in)"
    r"|try again|check( again)?|next|proceed|let'?s go"
    # the page says "<Service> is connected" when an OAuth sign-in completes
    r"|[\w .'-]{1,80}?\b(is|are) (now )?connected)\b",
    re.IGNORECASE,
)
_START = re.compile(
    r"^\W*(?:ok(?:ay)?[,.!]?\s+|yes[,.!]?\s+|great[,.!]?\s+)?(?:please\s+|now\s+)?"
    r"(?:can you\s+|could you\s+)?(start|run|launch|deploy|kick off|fire up|spin up|boot)"
    r"( it| it up| it off| the agent| my agent| now)*(\s+please)?\W*$",
    re.IGNORECASE,
)

# The same short replies in the other languages requests come in (French, Spanish, Portuguese,
# German, Italian, Dutch, Chinese, Japanese, Korean). Whole messages only: a longer text in
# those languages is a request.
_CONTINUE_OTHER = re.compile(
    r"^\W*(?:ok\W+|oui\W+|s[ií]\W+|sim\W+|ja\W+)?(?:c'est (?:bon|fait|pr[eê]t)|fait|"
    r"termin[ée]e?|fini|pr[eê]te?|vas-y|continue[rz]?|listo|hecho|ya est[aá]|terminado|adelante|"
    r"sigue|contin[uú]a|pronto|feito|terminei|pode continuar|fertig|erledigt|bereit|weiter|"
    r"fatto|finito|avanti|klaar|gedaan|ga door|好了|完成了?|可以了|继续|完了(?:しました)?|"
    r"できた|できました|終わりました|続けて|완료(?:했어요?)?|됐어요?|다 했어요?|계속)\W*$",
    re.IGNORECASE,
)
_START_OTHER = re.compile(
    r"^\W*(?:d[ée]marre|lance|inicia|arranca|ejecuta|lanza|inicie|come[cç]a|starte|starten|"
    r"avvia|lancia|启动|开始|运行|起動|開始|実行|시작|실행)"
    r"(?:[- ](?:le|la|l'agent|el agente|o agente|den agenten?|l'agente|de agent|it))?"
    r"(?:\s*(?:s'il te pla[iî]t|por favor|bitte|per favore|alsjeblieft|"
    r"してください|して|해줘|해 주세요))?"
    r"\W*$",
    re.IGNORECASE,
)


def says_done(text: str) -> bool:
    """Whether a short reply says the person is done ("done", "c'est bon", "listo", "好了")."""
    return bool(_CONTINUE.match(text) or _CONTINUE_OTHER.match(text.strip()))


def asks_to_start(text: str) -> bool:
    """Whether a short reply asks to start the agent ("start it", "démarre", "启动")."""
    return bool(_START.match(text) or _START_OTHER.match(text.strip()))
