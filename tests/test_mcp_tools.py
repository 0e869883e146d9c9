"""gentle_llm.mcp_tools: the tools over MCP, errors, timeouts, no orphan server (Chapter 14)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from gentle_llm.mcp_tools import MCPTools

pytestmark = pytest.mark.slow


def _children() -> list[int]:
    """Process ids whose parent is this test process (Linux's /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended while we looked
                continue
            if int(fields[1]) == os.getpid():
                children.append(int(entry.name))
    return children


@pytest.fixture
def no_orphans():
    before = set(_children())
    yield
    assert set(_children()) <= before, "an MCP server process outlived its client"


def test_round_trip_lists_and_calls_the_tools(no_orphans):
    with MCPTools() as tools:
        listed = {tool.name: tool for tool in tools.list()}
        assert sorted(listed) == ["calculate", "search_handbook", "weekday"]
        assert listed["weekday"].input_schema["required"] == ["date"]
        assert "day of the week" in listed["weekday"].description
        assert tools.call("calculate", {"expression": "17 * 23"}) == "391"
        assert tools.call("weekday", {"date": "2026-12-25"}) == "Friday"
        assert "Ruth Abara" in tools.call("search_handbook", {"query": "harbour master"})
        bad_date = tools.call("weekday", {"date": "tomorrow"})
        assert bad_date.startswith("Error") and "YYYY-MM-DD" in bad_date
        assert tools.call("calculate", {"expr": "1"}).startswith("Error")
        assert "Unknown tool" in tools.call("nope", {})


def test_a_hanging_tool_times_out_and_a_crashing_one_reports(tmp_path, no_orphans):
    server = tmp_path / "slow_server.py"
    server.write_text(
        textwrap.dedent(
            """
            import time
            from mcp.server import MCPServer

            server = MCPServer("slow", log_level="WARNING")

            @server.tool()
            def hang() -> str:
                time.sleep(60)
                return "never"

            @server.tool()
            def crash() -> str:
                raise RuntimeError("secret detail")

            server.run()
            """
        )
    )
    with MCPTools([sys.executable, str(server)], timeout=2.0) as tools:
        hung = tools.call("hang", {})
        assert hung.startswith("Error: hang gave no result")
        crashed = tools.call("crash", {})
        assert crashed.startswith("Error") and "secret detail" not in crashed


def test_a_server_that_does_not_start_gives_one_clear_error(no_orphans):
    command = [sys.executable, "-c", "import sys; print('broken', file=sys.stderr); sys.exit(3)"]
    with pytest.raises(RuntimeError, match="did not start") as raised:
        with MCPTools(command, timeout=5.0):
            pass
    assert "broken" in str(raised.value)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="timeout"):
        MCPTools(timeout=0)
    with pytest.raises(ValueError, match="command"):
        MCPTools([])
