"""The handbook's tools, and the same tools served by a Model Context Protocol server (Chapter 14).

Three tools an agent can call: :func:`calculate` (Chapter 9's safe calculator),
:func:`search_handbook` (this chapter's retriever) and :func:`weekday`. Called in-process they
are plain Python functions. :func:`build_server` serves them with the official ``mcp`` SDK's
``MCPServer``; ``python -m gentle_llm.mcp_tools`` runs that server over stdio, the way a desktop
assistant or an IDE starts a local tool server. :class:`MCPTools` starts it as a child process,
lists its tools and calls them, and always stops the process when its ``with`` block ends.

What MCP standardises is the plumbing: how a client discovers tools (name, description, JSON
schema of the arguments), calls them and receives results, over stdio or HTTP. It does not make
a tool or its output trustworthy: a result is text from outside, as untrusted as a web page.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from gentle_llm import checks

__all__ = ["MCPTools", "TOOLS", "build_server", "calculate", "search_handbook", "weekday"]


def calculate(expression: str) -> str:
    """Work out an arithmetic expression with + - * / ** and parentheses.

    Args:
        expression: The arithmetic to do, for example "17 * 23" or "(4.50 + 3.80) * 2".
    """
    from gentle_llm.tools import calculate as evaluate
    from gentle_llm.tools import format_number

    return format_number(evaluate(expression))


def weekday(date: str) -> str:
    """The day of the week of a date.

    Args:
        date: The date as YYYY-MM-DD, for example "2026-12-25".
    """
    try:
        day = datetime.date.fromisoformat(date.strip())
    except ValueError:
        raise ValueError(
            f"{date!r} is not a date written as YYYY-MM-DD, such as 2026-12-25."
        ) from None
    return day.strftime("%A")


@functools.lru_cache(maxsize=1)
def _handbook_index() -> Any:
    from gentle_llm.retrieval import (
        HybridIndex,
        KeywordIndex,
        SemanticIndex,
        chunk_documents,
        load_handbook,
    )

    chunks = chunk_documents(load_handbook()["documents"])
    return HybridIndex(KeywordIndex(chunks), SemanticIndex(chunks))


def search_handbook(query: str) -> str:
    """Search the Ferrybridge town handbook and return the two most relevant passages.

    Args:
        query: What to look for, for example "winter ferry times".
    """
    hits = _handbook_index().search(checks.text(query, "query"), k=2)
    return "\n\n".join(f"{h.chunk.title}: {h.chunk.text}" for h in hits)


TOOLS = [calculate, search_handbook, weekday]


def build_server() -> Any:
    """An ``MCPServer`` (official ``mcp`` SDK) offering :data:`TOOLS`; run it with ``.run()``."""
    from mcp.server import MCPServer

    server = MCPServer("ferrybridge-tools", log_level="WARNING")
    for function in TOOLS:
        server.tool()(_told_to_client(function))
    return server


def _told_to_client(function: Callable[..., str]) -> Callable[..., str]:
    """``function`` with its ``ValueError`` raised as the SDK's ``ToolError``.

    The SDK sends the client a ``ToolError``'s message, but only "Error executing tool" for any
    other exception, so that a crash cannot leak a server's secrets. A bad argument is the
    caller's mistake and its message says how to fix it, so it is passed on.
    """
    from mcp.server.mcpserver.exceptions import ToolError

    @functools.wraps(function)
    def tool(*args: Any, **kwargs: Any) -> str:
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            raise ToolError(str(error)) from error

    return tool


# The SDK passes only a few "safe" variables (PATH, HOME, ...) to the child process; the server
# also needs to find the same offline assets and thread settings as the notebook.
_PASSED_ON = ("GENTLE_LLM_", "HF_", "TRANSFORMERS_", "OMP_", "MKL_", "ATEN_", "TIKTOKEN_")


class MCPTools:
    """A client of an MCP server started as a child process over stdio, usable without ``await``.

    ``with MCPTools() as tools:`` starts :func:`build_server`'s server (or ``command``), and
    ``tools.list()`` / ``tools.call(name, arguments)`` talk to it. A call that fails, or takes
    longer than ``timeout`` seconds, returns an ``"Error: ..."`` text instead of raising, so an
    agent can read it. The server process is stopped when the block ends, also after an error.
    """

    def __init__(self, command: list[str] | None = None, timeout: float = 30.0) -> None:
        self.command = (
            command if command is not None else [sys.executable, "-m", "gentle_llm.mcp_tools"]
        )
        checks.not_empty(self.command, "command", "give the program and its arguments as a list.")
        self.timeout = checks.number(timeout, "timeout", low=0.0, low_open=True)
        self._portal_cm: Any = None

    def __enter__(self) -> MCPTools:
        from anyio.from_thread import start_blocking_portal
        from mcp import Client, StdioServerParameters, stdio_client

        env = {k: v for k, v in os.environ.items() if k.startswith(_PASSED_ON)}
        params = StdioServerParameters(command=self.command[0], args=self.command[1:], env=env)
        self._errlog = tempfile.TemporaryFile("w+")  # the server's stderr, shown if it fails
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        transport = stdio_client(params, errlog=self._errlog)
        client = Client(transport, read_timeout_seconds=self.timeout)
        self._client_cm = self._portal.wrap_async_context_manager(client)
        try:
            self._client = self._client_cm.__enter__()
        except BaseException as error:
            self._close()
            self._errlog.seek(0)
            raise RuntimeError(
                f"The MCP server {self.command} did not start: {error}\n{self._errlog.read()}"
            ) from None
        return self

    def list(self) -> list[Any]:
        """The server's tools: each has ``.name``, ``.description`` and ``.input_schema``."""
        return self._portal.call(self._client.list_tools).tools

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Call a tool: its text result, or ``"Error: ..."`` on an error or a timeout."""
        try:
            result = self._portal.call(functools.partial(self._client.call_tool, name, arguments))
        except Exception as error:  # noqa: BLE001 - a timeout or a broken server is told to the model
            return f"Error: {name} gave no result ({type(error).__name__}: {error})."
        text = "\n".join(block.text for block in result.content if getattr(block, "text", None))
        return f"Error: {text}" if result.is_error and not text.startswith("Error") else text

    def _close(self) -> None:
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
            self._portal_cm = None

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self._client_cm.__exit__(*exc_info)
        finally:
            self._close()
            self._errlog.close()


if __name__ == "__main__":
    build_server().run()  # stdio: the client that started this process talks over stdin/stdout
