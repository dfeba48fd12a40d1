"""Drives the gateway with the official Python MCP SDK (PyPI `mcp`), as a third-party client would.

Usage: python mcp_client.py TRANSPORT BASE_URL TOKEN TOOL ARGS_JSON [TOOL ARGS_JSON ...]

TRANSPORT is one of
  streamable-http       Streamable HTTP at BASE_URL/mcp, 2025-era session (initialize)
  streamable-http-2026  Streamable HTTP at BASE_URL/mcp, 2026-07-28 era (server/discover; mcp >= 2)
  sse                   legacy HTTP+SSE at BASE_URL/sse

Connects with `Authorization: Bearer TOKEN`, lists the tools, calls each TOOL with its ARGS_JSON in
turn within the one session, and prints one JSON object on stdout: `call` is the first call's
result, `calls` every call's. Works with mcp 1.x (`streamablehttp_client(url, headers=...)`) and 2.x
(`streamable_http_client(url, http_client=...)`). Exits non-zero when the connection fails.
"""

from __future__ import annotations

import asyncio
import json
import sys
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any, AsyncIterator

from mcp import ClientSession
from mcp.client import sse, streamable_http

TIMEOUT_SECONDS = 15


@asynccontextmanager
async def streamable(url: str, headers: dict[str, str]) -> AsyncIterator[tuple[Any, Any]]:
    legacy_entry = getattr(streamable_http, "streamablehttp_client", None)
    if legacy_entry is not None:
        # mcp 1.x: headers go straight to the transport (deprecated in 1.2x, still the common call).
        async with legacy_entry(url, headers=headers) as streams:
            yield streams[0], streams[1]
        return
    # mcp 2.x: headers ride on the HTTP client handed to the transport.
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http.streamable_http_client(url, http_client=client) as streams:
            yield streams[0], streams[1]


@asynccontextmanager
async def legacy_sse(url: str, headers: dict[str, str]) -> AsyncIterator[tuple[Any, Any]]:
    async with sse.sse_client(url, headers=headers) as streams:
        yield streams[0], streams[1]


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def called(result: Any) -> dict[str, Any]:
    out = dump(result)
    return {
        "is_error": bool(out.get("isError", False)),
        "structured": out.get("structuredContent"),
        "text": [c.get("text") for c in out.get("content", []) if c.get("type") == "text"],
    }


async def run(transport: str, base_url: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    connect = legacy_sse(f"{base_url}/sse", headers) if transport == "sse" else streamable(f"{base_url}/mcp", headers)
    async with connect as (read, write):
        async with ClientSession(read, write) as session:
            if transport == "streamable-http-2026":
                handshake = await session.discover()
                server = getattr(session, "server_info", None)
            else:
                handshake = await session.initialize()
                server = handshake.server_info if hasattr(handshake, "server_info") else handshake.serverInfo
            tools = await session.list_tools()
            results = [called(await session.call_tool(tool, args)) for tool, args in calls]
            return {
                "transport": transport,
                "sdk": f"mcp {version('mcp')}",
                "protocol_version": getattr(session, "protocol_version", None)
                or getattr(handshake, "protocol_version", None)
                or getattr(handshake, "protocolVersion", None),
                "server": None if server is None else dump(server),
                "tools": [t.name for t in tools.tools],
                "call": results[0],
                "calls": results,
            }


def main() -> int:
    pairs = sys.argv[4:]
    if len(pairs) < 2 or len(pairs) % 2 != 0 or sys.argv[1] not in ("streamable-http", "streamable-http-2026", "sse"):
        sys.stderr.write(__doc__ or "")
        return 64
    transport, base_url, token = sys.argv[1:4]
    calls = [(pairs[i], json.loads(pairs[i + 1])) for i in range(0, len(pairs), 2)]
    out = asyncio.run(asyncio.wait_for(run(transport, base_url, token, calls), TIMEOUT_SECONDS))
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
