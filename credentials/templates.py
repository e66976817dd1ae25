"""What a catalog server needs, read from its ``credentials`` template, and how to ask for it."""

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from credentials import repository


class UnknownServerError(ValueError):
    """A server slug that is not in the catalog."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(f"Unknown server(s): {', '.join(slugs)}")
        self.slugs = slugs


@dataclass(frozen=True)
class CredentialItem:
    name: str
    description: str = ""
    secret: bool = True
    required: bool = True
    obtain_url: str | None = None
    pattern: str | None = None
    example: str | None = None
    kind: str = "env"

    def instruction(self) -> str:
        """What it is, where to create it and the expected format, for a person."""
        text = f"{self.name}: {self.description or 'a value this server needs'}".rstrip(".") + "."
        if self.obtain_url:
            text += f" Create it at {self.obtain_url}."
        if self.example:
            text += f" It looks like {self.example}."
        elif self.pattern:
            text += f" Expected format (regular expression): {self.pattern}."
        return text

    def ui(self, provided: bool) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "secret": self.secret,
            "required": self.required,
            "obtain_url": self.obtain_url,
            "example": self.example,
            "pattern": self.pattern,
            "provided": provided,
        }


@dataclass(frozen=True)
class ServerTemplate:
    slug: str
    name: str
    items: list[CredentialItem] = field(default_factory=list)

    def item(self, name: str) -> CredentialItem | None:
        return next((i for i in self.items if i.name == name), None)

    @property
    def required_names(self) -> list[str]:
        return [i.name for i in self.items if i.required]


def _item(raw: dict[str, Any]) -> CredentialItem:
    return CredentialItem(
        name=str(raw["name"]),
        description=str(raw.get("description") or ""),
        secret=bool(raw.get("secret", True)),
        required=bool(raw.get("required", True)),
        obtain_url=raw.get("obtain_url") or None,
        pattern=raw.get("pattern") or None,
        example=raw.get("example") or None,
        kind=str(raw.get("kind") or "env"),
    )


async def get_templates(conn: asyncpg.Connection, servers: list[str]) -> dict[str, ServerTemplate]:
    """Templates of the given servers, in the given order; UnknownServerError names any missing."""
    wanted = list(dict.fromkeys(servers))
    rows = await repository.fetch_templates(conn, wanted)
    unknown = [s for s in wanted if s not in rows]
    if unknown:
        raise UnknownServerError(unknown)
    return {
        slug: ServerTemplate(
            slug,
            rows[slug]["name"] or slug,
            [_item(c) for c in rows[slug]["credentials"] if isinstance(c, dict) and c.get("name")],
        )
        for slug in wanted
    }
