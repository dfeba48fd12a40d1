/**
 * Fly without Redis (issue 17 §3; docs/sessions.md): a session lives only in the process that
 * opened it, so its id names the machine holding it, `<FLY_MACHINE_ID>.<random part>`, and a
 * request for it that lands on another machine is handed back to Fly's proxy with
 * `fly-replay: prefer_instance=<holder>` to be replayed there
 * (https://fly.io/docs/networking/dynamic-request-routing/). The proxy delivers a replay whose
 * machine is gone (or at its hard_limit) to another one, flagged with `fly-replay-src` and
 * `fly-preferred-instance-unavailable`; that machine answers the transport's usual 404, which
 * tells the client to start over, and never replays a replay.
 */
import type { NextFunction, Request, Response } from 'express';
import { SESSION_NOT_FOUND, writeRefusal } from './session-http.ts';

/** How session ids are made from their random part and read back. */
export interface SessionIds {
  mint(random: string): string;
  /** What follows a well-formed machine part, else the whole id. */
  randomPart(id: string): string;
}

/** Ids as they are without this mode: the random part alone. */
export const PLAIN_IDS: SessionIds = { mint: (random) => random, randomPart: (id) => id };

/** As config.ts admits FLY_MACHINE_ID: never a `.`, and safe inside a header value. */
const MACHINE = /^[0-9A-Za-z_-]{1,64}$/;
/** The random parts session-routes.ts (randomUUID) and sse.ts (16 bytes in hex) mint. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** Request headers Fly's proxy adds to a replayed request (the second: prefer_instance failed). */
const REPLAY_MARKS = ['fly-replay-src', 'fly-preferred-instance-unavailable'] as const;

function split(id: string): { machine: string; random: string } | undefined {
  const dot = id.indexOf('.');
  if (dot === -1) return undefined;
  const machine = id.slice(0, dot);
  return MACHINE.test(machine) ? { machine, random: id.slice(dot + 1) } : undefined;
}

export type ReplayTransport = 'streamable_http' | 'sse';

/** A request answered for another machine: handed to Fly, or refused as a replay gone astray. */
export interface ReplayAnswer {
  readonly transport: ReplayTransport;
  readonly outcome: 'replayed' | 'holder_unavailable';
  readonly holder: string;
}

export interface FlyReplayOptions {
  /** FLY_MACHINE_ID of this machine, of the shape config.ts admits. */
  machineId: string;
  onAnswer?: (res: Response, answer: ReplayAnswer) => void;
}

export type FlyReplay = ReturnType<typeof createFlyReplay>;

export function createFlyReplay({ machineId, onAnswer = () => undefined }: FlyReplayOptions) {
  const ids: SessionIds = {
    mint: (random) => `${machineId}.${random}`,
    randomPart: (id) => split(id)?.random ?? id,
  };

  /**
   * Answers at once, before authentication and without reading the body, a request whose session
   * another machine holds; anything else (no id, an id of this machine, a garbled one) goes on
   * to the ordinary handling. Before authentication, because the holder authenticates the
   * replayed request as any other, and a token is verified once; an unauthenticated caller gains
   * nothing, as it can pick a machine itself with Fly's `fly-force-instance-id` request header.
   */
  function toHolder(
    transport: ReplayTransport,
    idOf: (req: Request) => string | undefined,
    shape: RegExp,
    notFound: (res: Response) => void,
  ) {
    return function flyReplay(req: Request, res: Response, next: NextFunction): void {
      const id = idOf(req);
      const parts = id === undefined ? undefined : split(id);
      if (parts === undefined || parts.machine === machineId || !shape.test(parts.random)) {
        next();
        return;
      }
      const replayed = REPLAY_MARKS.some((name) => req.get(name) !== undefined);
      onAnswer(res, {
        transport,
        outcome: replayed ? 'holder_unavailable' : 'replayed',
        holder: parts.machine,
      });
      if (replayed) {
        notFound(res);
        return;
      }
      // 409 and no body, as Fly's own replaying middlewares answer; the proxy acts on the header.
      res.status(409).setHeader('fly-replay', `prefer_instance=${parts.machine}`);
      res.end();
    };
  }

  return {
    ids,
    /** For /mcp: the Mcp-Session-Id header of a 2025-era session. */
    mcp: toHolder(
      'streamable_http',
      (req) => req.get('mcp-session-id'),
      UUID,
      (res) => {
        writeRefusal(res, SESSION_NOT_FOUND);
      },
    ),
    /** For POST /messages/: the session_id query parameter of a legacy SSE session. */
    sse: toHolder(
      'sse',
      (req) => {
        const id = req.query['session_id'];
        return typeof id === 'string' ? id : undefined;
      },
      HEX32,
      (res) => {
        res.status(404).type('text/plain').send('Could not find session');
      },
    ),
  };
}
