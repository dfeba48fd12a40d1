/**
 * MCP over Streamable HTTP for k6, as the gateway speaks it to 2025-era clients: `initialize`
 * (answered with an Mcp-Session-Id header), `notifications/initialized` (202), then `tools/list`
 * and `tools/call` carrying that session id and the negotiated MCP-Protocol-Version. The gateway
 * sets enableJsonResponse for these sessions, so every answer is one JSON-RPC object, not SSE.
 */
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';

/** One sample per MCP request: true when it failed (HTTP error, JSON-RPC error, isError). */
export const mcpErrors = new Rate('mcp_errors');
/** Latency by kind of call (ms): data reads, data writes, and session set-up/tear-down. */
export const readDuration = new Trend('mcp_read_duration', true);
export const writeDuration = new Trend('mcp_write_duration', true);
export const sessionDuration = new Trend('mcp_session_duration', true);
export const toolCalls = new Counter('mcp_tool_calls');
export const sessionsOpened = new Counter('mcp_sessions');

const DEFAULT_PROTOCOL = '2025-06-18';
const CLIENT_INFO = { name: 'toolbridge-k6', version: '1.0.0' };

/** An HS256 JWT (k6 has no JWT module; k6/crypto's HMAC signs it). */
export function signJwt(secret, claims) {
  const part = (value) => encoding.b64encode(JSON.stringify(value), 'rawurl');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${crypto.hmac('sha256', secret, unsigned, 'base64rawurl')}`;
}

function headers(token, session) {
  const result = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  if (session !== undefined) {
    result['Mcp-Session-Id'] = session.id;
    result['MCP-Protocol-Version'] = session.protocolVersion;
  }
  return result;
}

/** The JSON body of a response, or undefined when it is not JSON. */
function jsonOf(response) {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

function record(ok, trend, response) {
  mcpErrors.add(!ok);
  if (response.timings !== undefined) trend.add(response.timings.duration);
  return ok;
}

let nextId = 1;

function rpc(url, token, session, method, params, tags) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params });
  return http.post(url, body, { headers: headers(token, session), tags });
}

/**
 * Opens a session: initialize → notifications/initialized → tools/list. Returns
 * { id, protocolVersion, tools } or undefined when any step failed (each failure is counted).
 */
export function openSession(url, token, protocolVersion = DEFAULT_PROTOCOL) {
  const init = rpc(
    url,
    token,
    undefined,
    'initialize',
    { protocolVersion, capabilities: {}, clientInfo: CLIENT_INFO },
    { mcp: 'initialize', kind: 'session' },
  );
  const initBody = jsonOf(init);
  const id = init.headers['Mcp-Session-Id'];
  const initOk =
    init.status === 200 &&
    typeof id === 'string' &&
    initBody !== undefined &&
    initBody.result !== undefined &&
    typeof initBody.result.protocolVersion === 'string';
  if (!record(initOk, sessionDuration, init)) return undefined;
  const session = { id, protocolVersion: initBody.result.protocolVersion };

  const ack = http.post(
    url,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    {
      headers: headers(token, session),
      tags: { mcp: 'notifications/initialized', kind: 'session' },
    },
  );
  if (!record(ack.status === 202, sessionDuration, ack)) return undefined;

  const list = rpc(url, token, session, 'tools/list', {}, { mcp: 'tools/list', kind: 'session' });
  const listBody = jsonOf(list);
  const tools =
    list.status === 200 && listBody !== undefined && listBody.result !== undefined
      ? listBody.result.tools
      : undefined;
  if (!record(Array.isArray(tools), sessionDuration, list)) return undefined;
  sessionsOpened.add(1);
  return { ...session, tools: tools.map((tool) => tool.name) };
}

/** Ends a session with DELETE /mcp, as a client that is done does. */
export function closeSession(url, token, session) {
  const response = http.del(url, null, {
    headers: headers(token, session),
    tags: { mcp: 'delete', kind: 'session' },
  });
  record(response.status >= 200 && response.status < 300, sessionDuration, response);
}

/**
 * One tools/call. Returns { ok, data, status, error }: `data` is the structured result (or the
 * first text content parsed as JSON) when the call succeeded; a JSON-RPC error, `isError: true`
 * or a non-200 answer is a failure.
 */
export function callTool(url, token, session, name, args, kind) {
  const response = rpc(
    url,
    token,
    session,
    'tools/call',
    { name, arguments: args },
    { mcp: 'tools/call', tool: name, kind },
  );
  toolCalls.add(1, { tool: name, kind });
  const body = response.status === 200 ? jsonOf(response) : undefined;
  const result = body === undefined ? undefined : body.result;
  const ok = result !== undefined && result !== null && result.isError !== true;
  record(ok, kind === 'read' ? readDuration : writeDuration, response);
  if (!ok) {
    return { ok, status: response.status, error: describeFailure(response, body) };
  }
  let data = result.structuredContent;
  if (data === undefined && Array.isArray(result.content) && result.content.length > 0) {
    try {
      data = JSON.parse(result.content[0].text);
    } catch {
      data = undefined;
    }
  }
  return { ok, status: response.status, data };
}

function describeFailure(response, body) {
  if (response.error) return `${response.error_code}: ${response.error}`;
  if (body === undefined) return `HTTP ${response.status}: ${String(response.body).slice(0, 200)}`;
  if (body.error !== undefined) return `JSON-RPC error ${JSON.stringify(body.error).slice(0, 200)}`;
  const content = body.result !== undefined ? body.result.content : undefined;
  const text = Array.isArray(content) && content.length > 0 ? content[0].text : '';
  return `isError: ${String(text).slice(0, 200)}`;
}
