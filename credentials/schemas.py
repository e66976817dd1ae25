"""What the credential use cases answer: status per server, what is missing, what was stored."""

from dataclasses import dataclass
from typing import Any

from catalog.models import CatalogEntry


@dataclass(frozen=True)
class MissingCredential:
    server: str
    name: str
    description: str
    obtain_url: str | None
    instruction: str

    def __str__(self) -> str:
        return f"{self.server}: {self.name}"


@dataclass(frozen=True)
class ServerStatus:
    template: CatalogEntry
    stored: list[str]

    @property
    def missing(self) -> list[str]:
        return self.template.missing_credentials(self.stored)

    @property
    def complete(self) -> bool:
        return not self.missing

    def for_model(self) -> dict[str, Any]:
        """Names and status only: this is what the model reads."""
        return {
            "server": self.template.slug,
            "complete": self.complete,
            "items": [
                {
                    "name": item.name,
                    "required": item.required,
                    "status": "provided" if item.name in self.stored else "missing",
                    **({} if item.name in self.stored else {"instruction": item.instruction()}),
                }
                for item in self.template.credentials
            ],
        }

    def for_ui(self) -> dict[str, Any]:
        return {
            "server": self.template.slug,
            "name": self.template.name,
            "complete": self.complete,
            "items": [item.ui(item.name in self.stored) for item in self.template.credentials],
        }


@dataclass(frozen=True)
class StoreResult:
    server: str
    stored: list[str]
    missing: list[str]
    complete: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "stored": self.stored,
            "missing": self.missing,
            "complete": self.complete,
        }
