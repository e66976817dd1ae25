"""The formats of secrets we recognise in free text, read from ``data/secret_formats.toml``.

The file is data a person edits (most rules follow gitleaks' default configuration; its header
says which and under what licence); this module only loads and compiles it, once.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

FORMATS_FILE = Path(__file__).parent / "data" / "secret_formats.toml"
# A token never starts in the middle of a word: "task-1234..." holds no "sk-" key.
WORD_START = r"(?<![A-Za-z0-9_-])"


@dataclass(frozen=True)
class SecretFormat:
    """One recognisable kind of secret (see the TOML file's header for the fields)."""

    id: str
    description: str
    regex: str
    keywords: tuple[str, ...] = ()
    source: str = "gitleaks"
    random: bool = False
    kind: Literal["token", "context"] = "token"

    def compile(self) -> re.Pattern[str]:
        """The rule ready to search with (tokens get the word-start guard)."""
        pattern = f"{WORD_START}(?:{self.regex})" if self.kind == "token" else self.regex
        return re.compile(pattern)


@cache
def secret_formats() -> tuple[SecretFormat, ...]:
    """Every rule of the formats file, in file order."""
    with FORMATS_FILE.open("rb") as file:
        rules = tomllib.load(file)["rules"]
    return tuple(
        SecretFormat(**{**rule, "keywords": tuple(rule.get("keywords", ()))}) for rule in rules
    )
