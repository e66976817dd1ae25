"""Which registry package a stdio launch runs (npx → npm, uvx → PyPI) and at what version.

Read from the launch arguments, so the catalog states a package in one place: the command an
agent runs. A pinned package names an exact version (``pkg@1.2.3``, ``pkg==1.2.3``).
"""

import re
from dataclasses import dataclass
from typing import Literal

from catalog.models import RemoteLaunch, StdioLaunch

_EXACT = re.compile(r"^\d+(\.\d+)*([-.+]?[A-Za-z0-9.+-]*)?$")
_NPX_VALUE_FLAGS = frozenset({"-p", "--package", "-c", "--call"})
_UVX_VALUE_FLAGS = frozenset(
    {"--from", "--with", "--python", "-p", "--index", "--index-url", "--extra-index-url", "-w"}
)


@dataclass(frozen=True)
class Package:
    registry: Literal["npm", "pypi"]
    name: str
    version: str | None  # an exact version; None when unpinned ("latest" or none given)
    source: Literal["registry", "git"] = "registry"

    @property
    def pinned(self) -> bool:
        return self.source == "registry" and self.version is not None


def _exact(version: str | None) -> str | None:
    return version if version and _EXACT.match(version) else None


def _npm(spec: str) -> Package:
    if spec.startswith(("http://", "https://", "git+", "github:")):
        return Package("npm", spec, None, "git")
    scope, _, rest = spec.partition("/") if spec.startswith("@") else ("", "", spec)
    name, _, version = rest.partition("@")
    return Package("npm", f"{scope}/{name}" if scope else name, _exact(version))


def _pypi(spec: str) -> Package:
    if spec.startswith(("git+", "http://", "https://")):
        return Package("pypi", spec, None, "git")
    match = re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?\s*(==|@)?\s*(.*)$", spec)
    if not match:
        return Package("pypi", spec, None)
    return Package("pypi", match.group(1), _exact(match.group(4)))


def _first_positional(args: list[str], value_flags: frozenset[str]) -> tuple[int, str] | None:
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in value_flags:
            skip = True
        elif not arg.startswith("-"):
            return index, arg
    return None


def package_of(launch: StdioLaunch | RemoteLaunch) -> Package | None:
    """The npm or PyPI package a launch runs, or None (docker, remote, another command)."""
    if not isinstance(launch, StdioLaunch):
        return None
    args = launch.args
    if launch.command == "npx":
        for flag in ("-p", "--package"):
            if flag in args[:-1]:
                return _npm(args[args.index(flag) + 1])
        found = _first_positional(args, _NPX_VALUE_FLAGS)
        return _npm(found[1]) if found else None
    if launch.command == "uvx":
        if "--from" in args[:-1]:
            return _pypi(args[args.index("--from") + 1])
        found = _first_positional(args, _UVX_VALUE_FLAGS)
        return _pypi(found[1]) if found else None
    return None
