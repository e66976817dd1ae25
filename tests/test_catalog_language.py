"""Reading requests: which ones the English-only local embedder can read (catalog.language),
services written in Korean, Japanese or Chinese script, and questions for the model's own
view (catalog.needs)."""

import pytest

from catalog.language import reads_as_english
from catalog.needs import asks_for_own_view
from catalog.normalise import normalise_request

ENGLISH = [
    "Every morning, summarise new GitHub issues and post them to Slack",
    "Scale the checkout deployment in the prod namespace to 6 replicas please.",
    "Convert ~/legal/msa_v3.docx to markdown and upload it to the wiki",
    "shorten https://example-shop.de/sommer-sale?utm_source=newsletter for the mailing",
    "manage Kubernetes clusters: pods, deployments, namespaces",
    "Has the Bitcoin address bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh received anything?",
    "Find a café near the Louvre for Friday",  # one French name in English
    "Play La Vie en Rose by Édith Piaf on Spotify",
]
OTHER = [
    "Envoie chaque lundi un résumé des nouvelles issues GitHub sur notre canal Slack",
    "Busca los pagos rechazados de esta semana en Stripe y mándame un correo",
    "Liste os pagamentos recusados hoje no Mercado Pago e me mande um resumo",
    "Erstelle für jeden neuen Sentry-Fehler ein Ticket in Jira",
    "Controlla su Datadog gli errori della notte e apri un incidente su PagerDuty",
    "Maak elke ochtend een overzicht van de nieuwe issues in GitHub",
    "Notion のデータベースに今日の議事録を追加して",
    "把 GitHub 上新的 issue 整理一下发到 Slack",
    "노션 페이지에 오늘 회의록을 추가해줘",
    "Проверь, какие поды в Kubernetes постоянно перезапускаются",
]


@pytest.mark.parametrize("request_text", ENGLISH)
def test_english_requests_read_as_english(request_text: str) -> None:
    assert reads_as_english(normalise_request(request_text))


@pytest.mark.parametrize("request_text", OTHER)
def test_requests_in_other_languages_do_not(request_text: str) -> None:
    assert not reads_as_english(normalise_request(request_text))


def test_services_written_in_korean_japanese_or_chinese_get_their_latin_name() -> None:
    assert "(Notion)" in normalise_request("노션에 회의록 페이지를 만들어 줘")
    assert "(Wikipedia)" in normalise_request("在维基百科上查一下")
    assert "(Slack)" in normalise_request("スラックに送って")


@pytest.mark.parametrize(
    ("request_text", "own_view"),
    [
        ("In your opinion, is Go or Rust the better first language?", True),
        ("Which is nicer, Notion or Obsidian? Just your opinion.", True),
        ("no need to look anything up: what is a monad", True),
        ("Look up the opinion pieces on Hacker News today", False),
        ("Post the team's opinions survey results to Slack", False),
    ],
)
def test_a_question_for_the_models_own_view_needs_no_tool(
    request_text: str, own_view: bool
) -> None:
    assert asks_for_own_view(request_text) == own_view
