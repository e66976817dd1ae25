"""Which requests the English-only local embedder can read (catalog.language)."""

import pytest

from catalog.language import reads_as_english
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
