"""Words of a request that look like a product the person uses ("my Todoist", "Trello cards",
"Microsoft Teams"), and quoted titles, which name nothing: used to say "the catalog lacks it"
instead of choosing a stand-in."""

import re

from catalog.naming import NOT_NAMES_BY_TAG, common_words

_QUOTED = re.compile(r"(?<!\w)'[^'\n]{1,60}'(?!\w)|\"[^\"\n]{1,60}\"|[‘“][^’”\n]{1,60}[’”]")


def without_quotes(text: str) -> str:
    """``text`` without its quoted titles ("a page under 'Board updates'"): a name the person
    gave a thing, whose words say nothing of the service."""
    return _QUOTED.sub(" ", text)


# (not a file: "our README.md" names no product)
_POSSESSIVE = re.compile(
    r"\b(?:my|our|your|their)\s+(?:[a-z]+\s+)?([A-Z][A-Za-z0-9]+)\b(?!\.[A-Za-z0-9]{1,5}\b)"
)
# ... or a capitalised word in front of the things such products hold ("Trello cards")
_PRODUCT_THINGS = re.compile(
    r"\b([A-Z][A-Za-z0-9]+)\s+(?:tasks?|cards?|boards?|folders?|invoices?|workspaces?|notebooks?"
    r"|inbox|contacts|tickets?|spaces?|vaults?|builds?|pipelines?)\b"
)


def product_names(text: str) -> list[str]:
    """Words that look like a product the person uses: capitalised after "my/our" ("into my
    personal Todoist", "cancel my Zoom meeting") or before what it holds ("Trello cards"), not
    an ordinary word. The search reports those no catalog server is named by, so no stand-in is
    chosen for them."""
    text = without_quotes(text)  # "the 'Q3 board' deck" is a title, not a product
    found = [m.group(1).lower() for m in _POSSESSIVE.finditer(text)]
    # a word in capitals before what it holds is a key or a code ("the LEAD space", "WEB
    # tickets"), not a product
    found += [m.group(1).lower() for m in _PRODUCT_THINGS.finditer(text) if not m[1].isupper()]
    return list(
        dict.fromkeys(w for w in found if w not in common_words() and w not in NOT_NAMES_BY_TAG)
    )


# A vendor's product written as "<Vendor> <Product>" ("Microsoft Teams", "Google Keep").
_VENDOR_PRODUCT = re.compile(
    r"\b(?:Microsoft|Google|Amazon|AWS|Azure|Apple|Adobe|Oracle|IBM|SAP|Zoho|Meta)\s+[A-Z][\w.]+"
)


def vendor_products(text: str) -> list[str]:
    """The product words of the vendors' products ``text`` names ("post it in our Microsoft
    Teams channel" → ["teams"]): a need naming one that no server offers gets no stand-in."""
    return [m.group().split()[-1].lower().rstrip(".") for m in _VENDOR_PRODUCT.finditer(text)]
