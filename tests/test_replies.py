"""The short replies that move a conversation on, in English and the other languages requests
come in (orchestrator.replies)."""

import pytest

from orchestrator.replies import asks_to_start, says_done

DONE = ["done", "ok, I've added them", "c'est bon", "Terminé !", "listo", "ya está", "pronto"]
DONE += ["Fertig", "erledigt", "fatto", "klaar", "好了", "完了しました", "완료했어요", "됐어"]
START = ["start it", "please run the agent", "démarre", "lance-le", "inicia el agente"]
START += ["starte den Agenten bitte", "avvia", "启动", "起動して", "시작해줘"]
# requests in those languages that begin like a reply
REQUESTS = ["Lance une recherche des nouvelles issues GitHub chaque matin"]
REQUESTS += ["fait moi un résumé des tickets Jira", "Inicia una tarea en Asana por cada correo"]
REQUESTS += ["fertige jeden Montag einen Bericht aus Stripe an"]
CASES = [(t, "done") for t in DONE] + [(t, "start") for t in START]
CASES += [(t, "request") for t in REQUESTS]


@pytest.mark.parametrize(("text", "meaning"), CASES)
def test_replies_in_the_ways_people_say_them(text: str, meaning: str) -> None:
    assert says_done(text) == (meaning == "done")
    assert asks_to_start(text) == (meaning == "start")
