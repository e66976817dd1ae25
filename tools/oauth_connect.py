"""The OAuth part of ``request_credentials``: a "Connect <service>" item instead of token fields.

For a server whose catalog entry says ``auth: oauth`` the model reads one more required item,
"Connect <Name>", provided once the user connected (or pasted the alternative token a server
such as GitHub's also accepts); the page gets the single-use Connect link, the model never does.
"""

from typing import Any

from catalog.models import OAUTH_ACCESS_TOKEN
from credentials.schemas import ServerStatus


def connect_item(offer: dict[str, Any], satisfied: bool) -> dict[str, Any]:
    """The model's view of the OAuth requirement of one server."""
    name = f"Connect {offer['name']}"
    if satisfied:
        return {"name": name, "required": True, "status": "provided"}
    again = (
        " again (the saved sign-in stopped working)" if offer["status"] != "not_connected" else ""
    )
    return {
        "name": name,
        "required": True,
        "status": "missing",
        "instruction": (
            f'Ask the user to click "Connect {offer["name"]}"{again} in the app and sign in '
            f"there (OAuth). Never ask for a password or token in the chat."
        ),
    }


def _satisfied(status: ServerStatus) -> bool:
    # connected, or a pasted token the server accepts instead (CatalogEntry.missing_credentials)
    return OAUTH_ACCESS_TOKEN not in status.missing


def with_connect(
    statuses: list[ServerStatus], offers: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(model view, UI view) of every server, OAuth servers with their Connect item."""
    model, ui = [], []
    for status in statuses:
        seen, shown = status.for_model(), status.for_ui()
        offer = offers.get(status.template.slug)
        if offer is not None:
            item = connect_item(offer, _satisfied(status))
            seen["items"] = [item, *seen["items"]]
            seen["complete"] = status.complete
            shown["complete"] = seen["complete"]
            shown["oauth"] = {
                "status": "connected" if item["status"] == "provided" else offer["status"],
                "connect_url": offer.get("connect_url"),
                "label": item["name"],
            }
        model.append(seen)
        ui.append(shown)
    return model, ui
