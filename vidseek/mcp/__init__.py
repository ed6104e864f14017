"""vidseek as an MCP server (stdio for ``vidseek mcp``, streamable HTTP at ``/mcp`` of
``vidseek serve``): see ``vidseek.mcp.server``."""

from __future__ import annotations

from vidseek.mcp.server import VidseekMCP, build_mcp, run_stdio

__all__ = ["VidseekMCP", "build_mcp", "run_stdio"]
