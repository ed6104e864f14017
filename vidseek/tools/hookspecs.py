"""The pluggy hook specifications of vidseek (project name ``vidseek``).

A plug-in is any module (usually named by an entry point in group ``vidseek.tools``) that implements
one or more of these hooks with ``@hookimpl``. The built-in tools register through the same hook, so
a plug-in tool is a first-class citizen: same schema, same context, same error handling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "vidseek"
ENTRY_POINT_GROUP = "vidseek.tools"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class VidseekSpec:
    """Hook specifications. New hooks are added here (additively) as vidseek grows."""

    @hookspec
    def register_tools(self, register: Callable[[Any], Any]) -> None:
        """Call ``register(tool)`` for every tool this plug-in offers.

        ``tool`` is a ``Tool`` subclass, a ``Tool`` instance, or a function decorated with
        ``vidseek.tools.base.tool`` (which turns into a ``Tool`` subclass).
        """
