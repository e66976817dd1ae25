"""Host paths a credential may name: only inside the folders the operator shares with agents.

A catalog credential marked ``path`` ("directory" or "file") names a path on this machine that
its server opens. Agents are hostile code, so such a path must lie inside one of
``AGENT_SHARED_DIRS`` once every symlink is resolved, and never overlap the service's own data
directory (keys, database, other agents' workspaces). The same check runs when the value is
saved and at every agent start; the messages name paths only (a path is never a secret), so
they are safe to show the person and the model.
"""

import os
from pathlib import Path

from catalog.credential import PathKind
from core.config import Settings

SETTING = "AGENT_SHARED_DIRS"


class HostPathError(ValueError):
    """A host path that may not be given to an agent; the message says why and what to do."""


def shared_dirs(settings: Settings) -> list[str]:
    """The shared folders as the operator wrote them (what messages show)."""
    return [str(path) for path in settings.agent_shared_dirs]


def shared_dirs_note(settings: Settings) -> str:
    """One sentence naming the shared folders, or saying that there are none and who sets them."""
    if not settings.agent_shared_dirs:
        return (
            "This service shares no folder of its machine with agents; the operator can share"
            f" some with the {SETTING} setting."
        )
    return "Folders shared with agents here: " + ", ".join(shared_dirs(settings)) + "."


def _real_roots(settings: Settings) -> list[Path]:
    # resolved too, so a root that is itself a symlink compares with resolved values
    return [Path(os.path.realpath(root)) for root in settings.agent_shared_dirs]


def resolve_host_path(name: str, value: str, kind: PathKind, settings: Settings) -> str:
    """The real path ``value`` names, once checked; ``HostPathError`` says what is wrong.

    Absolute only (``~`` is refused: a service on a server has no home folder of its user's),
    resolved with every symlink followed, inside a shared folder, outside the service's own
    data, existing and of ``kind``. Nothing about a path outside the shared folders is looked
    up, so the answer tells nothing about the rest of the machine.
    """
    what = "folder" if kind == "directory" else "file"
    note = shared_dirs_note(settings)

    def refuse(reason: str) -> HostPathError:
        return HostPathError(f"{name}: {reason} {note}")

    if value.startswith("~"):
        raise refuse(
            "give a full path starting with /: '~' is not expanded, because this service runs"
            " on a server and has no home folder of yours."
        )
    if not os.path.isabs(value):
        raise refuse(f"give a full path starting with /, not {value!r}.")
    if not settings.agent_shared_dirs:
        raise refuse(f"this names a {what} on this service's machine.")
    written = Path(os.path.normpath(value))
    real = Path(os.path.realpath(value))  # every symlink followed: none can lead outside
    roots = _real_roots(settings)
    if not any(real.is_relative_to(root) for root in roots):
        # name the symlink's target only for a path written inside a shared folder
        leads = any(written.is_relative_to(r) for r in [*settings.agent_shared_dirs, *roots])
        via = f" (it leads to {real})" if leads and real != written else ""
        raise refuse(f"{value} is not inside a folder shared with agents{via}.")
    data = Path(os.path.realpath(settings.data_dir))
    if real.is_relative_to(data) or data.is_relative_to(real):
        raise refuse(f"{value} holds this service's own data (keys, database), never shared.")
    if not real.exists():
        raise refuse(f"{value} does not exist on this service's machine; create it first.")
    if not (real.is_dir() if kind == "directory" else real.is_file()):
        raise refuse(f"{value} is not a {what}.")
    return str(real)
