"""Whether a request reads as English. The local MiniLM embedder reads English only, so a
request in another language is embedded by the multilingual model instead (catalog.embedders).

A request written (partly) in a non-Latin script is not English; its Latin words are then names
("把 Notion 里的…"). In Latin script two signs decide, counted against the English function
words the text has:
- function words of other languages, the commonest words of each; every list leaves out the
  words that are also English ("die", "was", "also", "come", "me", "a", "per", "non"...);
- lower-case words MiniLM's own vocabulary lacks ("pagamentos", "recusados"), which is what
  "it cannot read them" means. Words at addresses and paths are not counted ("docx", "utm"),
  nor capitalised ones (names), nor a known word plus an inflection ("deployment" + "s").
Measured on the labelled requests (tests/data/selection_*.jsonl, ~990): every English one
reads as English; one German request of the 74 non-English ones does not ("Speichere neue
Stripe-Kunden in HubSpot": two words, one a name).
"""

import re
from functools import lru_cache
from typing import Any

from catalog.embedders import TOKENIZER_PATH
from catalog.normalise import fold_accents

__all__ = ["reads_as_english"]

# Letters of scripts other than Latin: Greek, Cyrillic, Armenian, Hebrew, Arabic, the Indic
# scripts, Thai, Georgian, Hangul, kana and the CJK ideographs.
_OTHER_SCRIPT = re.compile(
    r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u06ff\u0900-\u0dff"
    r"\u0e00-\u0e7f\u10a0-\u10ff\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uac00-\ud7af]"
)

_ENGLISH = frozenset(
    "the and of to for with from my our your their this that these those is are be can "
    "please each every all new into when then them it its what which who how me us i we you "
    "on at by or if as about any some after before send post get make find show tell list "
    "check create add".split()
)
_OTHER = frozenset(
    # French
    "le la les des du et pour avec dans sur une que qui mon ma mes nos votre vos leur "
    "chaque tous toutes au aux ce cette ces être je nous vous moi puis quand envoie "
    # Spanish
    "el los las del y para con en una es mi mis tu tus su sus cada todos todas cuando luego "
    "por qué cómo envía dame busca crea "
    # Portuguese
    "uma não meu minha meus minhas você seu sua cada todas quando depois envie "
    "pelo pela nos nas das "
    # German
    "der das und für mit dem ein eine einen neue neuen ist mein meine unsere jeden jede alle wenn "
    "dann mir bitte auf zu von vom zum zur nicht "
    # Italian
    "il gli di della delle dei degli ogni tutti quando mio mia miei nostro "
    "nel nella sul sulla questo questa che "
    # Dutch
    "het een voor mijn onze elke alle wanneer naar op uit niet".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_ADDRESS = re.compile(r"\S*[/\\.~@#\d]\S*")  # URLs, paths, files, channels, identifiers
_INFLECTIONS = frozenset("##s ##es ##ed ##ing ##er ##ers ##ly ##d ##ment ##ments ##ness".split())


# requests arrive with accents folded (catalog.normalise): "für" is looked up as "fur"
_OTHER_WORDS = frozenset(fold_accents(w) for w in _OTHER) - _ENGLISH


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.no_padding()  # the file pads for batching; one word's pieces are wanted here
    return tokenizer


def _in_vocabulary(word: str) -> bool:
    tokenizer = _tokenizer()
    if tokenizer.token_to_id(word) is not None:
        return True
    pieces = tokenizer.encode(word, add_special_tokens=False).tokens
    return len(pieces) == 2 and pieces[1] in _INFLECTIONS


def reads_as_english(text: str) -> bool:
    """Whether the local English-only embedder can read ``text`` (see the module docstring)."""
    if _OTHER_SCRIPT.search(text):
        return False
    words = _WORD.findall(_ADDRESS.sub(" ", text))
    other = sum(fold_accents(w.lower()) in _OTHER_WORDS for w in words)
    english = sum(w.lower() in _ENGLISH for w in words)
    unread = sum(not _in_vocabulary(w.lower()) for w in words if w[0].islower() and len(w) >= 3)
    foreign = (
        (other >= 2 and other > english)
        or (other >= 1 and unread >= 1 and other + unread > english)
        or (unread >= 2 and unread > 2 * english)
    )
    return not foreign
