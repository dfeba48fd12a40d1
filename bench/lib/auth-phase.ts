/**
 * The backend-auth comparison of bench/gateway.ts (issue 18): three gateways up at once in front
 * of the same API, alike but for how callers and the API are authenticated:
 *   forward      each user's HS256 client token, verified and forwarded to the API as sent;
 *   mint         the same client tokens, and a backend token the gateway mints per user (cached);
 *   service-key  an agent runtime: `Bearer tbk_…` (one key, TOOLBRIDGE_SERVICE_KEYS) and, on every
 *                call, the user's identity token in x-toolbridge-user (HS256 with
 *                TOOLBRIDGE_IDENTITY_SECRET); backend auth mint.
 * In every mode calls go to the same USERS users in turn, each reading a note its user owns, as
 * 2025-era tools/call get_note on sessions kept open: a session per user for client tokens (a
 * session belongs to its opener), a session per worker for the runtime's key (one session
 * carries every user's calls). Rounds as in the store comparison (mode-rounds.ts). Every failed
 * call is counted and described, warm-up included: a mode that measures errors measures nothing.
 */
import { startGatewayProcess, type GatewayOptions } from './children.ts';
import { hs256Token, nowSeconds } from './credentials.ts';
import {
  AUTH_MODES,
  describeFailure,
  failureLog,
  type AuthMode,
  type FailureLog,
} from './auth-compare.ts';
import { benchRuntime, hs256Identities, identityPool, type IdentityPool } from './identities.ts';
import type { Send } from './load.ts';
import {
  callInSessionReply,
  createNote,
  endpoint,
  openSession,
  toolResult,
  type Credentials,
  type Endpoint,
  type McpSession,
} from './mcp.ts';
import { outcomeOf, runModeRounds, type ModeOutcome, type RoundsContext } from './mode-rounds.ts';
import type { Child } from './processes.ts';

/** Users the runtime calls for; each has its identity token and its note. */
export const USERS = 100;
/** The latency rounds run at this fraction of the lowest peak, as the other phases' at half. */
export const LATENCY_FRACTION = 0.5;
const IDENTITY_HEADER = 'x-toolbridge-user';
const TENANT_CLAIM = 'tenant_id';

export interface AuthContext extends RoundsContext {
  /** The gateway as the other phases start it; each mode sets its own backend auth. */
  readonly gateway: GatewayOptions;
  readonly backendPid: number;
}

export interface AuthResults {
  readonly connections: number;
  readonly duration: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly users: number;
  readonly fraction: number;
  readonly rate: number;
  readonly figures: Readonly<Record<AuthMode, ModeOutcome<AuthMode>>>;
  /** Failed calls per mode over the whole phase (warm-up and priming included), and samples. */
  readonly failed: Readonly<Record<AuthMode, number>>;
  readonly failures: readonly string[];
  /** The gateways' warn/error log lines. */
  readonly problems: readonly string[];
}

interface Served {
  readonly child: Child;
  readonly to: Endpoint;
  readonly send: Send;
}

/**
 * What one call of a mode sends: who it is from, the note it reads and, when sessions belong to
 * users, the index of its user's session (else the worker's).
 */
type CallOf = () => { credentials: Credentials; uid: string; session?: number };

/** A session per opener on one gateway, and a sender that calls get_note in them. */
async function serve(
  mode: AuthMode,
  gateway: { child: Child; url: string },
  openers: readonly Credentials[],
  next: CallOf,
  context: AuthContext,
  failures: FailureLog,
): Promise<Served> {
  const { connections } = context;
  const to = endpoint(gateway.url, connections);
  const sessions: McpSession[] = [];
  for (const opener of openers) sessions.push(await openSession(to, opener));
  const send: Send = async (slot) => {
    const { credentials, uid, session: index = slot % sessions.length } = next();
    const session = sessions[index];
    if (session === undefined) return false;
    try {
      const reply = await callInSessionReply(to, credentials, session, 'get_note', { uid });
      if (toolResult(reply.status, reply.text) !== undefined) return true;
      failures.record(mode, describeFailure(reply.status, reply.text));
    } catch (error) {
      failures.record(mode, error instanceof Error ? error.message : String(error));
    }
    return false;
  };
  return { child: gateway.child, to, send };
}

/** The runtime's headers for user `index`. */
const runtimeCall = (authorization: string, identities: IdentityPool, index: number) => ({
  authorization,
  [IDENTITY_HEADER]: identities.tokenOf(index),
});

/** One note per user, created through the service-key gateway as that user. */
async function notesPerUser(url: string, authorization: string, identities: IdentityPool) {
  const to = endpoint(url, 1);
  try {
    const session = await openSession(to, runtimeCall(authorization, identities, 0));
    const uids: string[] = [];
    for (let index = 0; index < identities.users.length; index += 1) {
      const credentials = runtimeCall(authorization, identities, index);
      uids.push(await createNote(to, credentials, session, `user ${index}'s note`));
    }
    return uids;
  } finally {
    await to.pool.close();
  }
}

/** Each user's client token, signed as the bench's own (benchCredentials), for two hours. */
function clientTokens(users: readonly string[], jwtSecret: string, tenant: string) {
  const iat = nowSeconds();
  return Promise.all(
    users.map(
      async (sub) =>
        `Bearer ${await hs256Token(jwtSecret, { sub, tenant, tenantClaim: TENANT_CLAIM }, iat, iat + 7_200)}`,
    ),
  );
}

/** Calls every user once through `served`; throws unless all succeed. */
async function checkEveryUser(mode: AuthMode, served: Served, users: number): Promise<void> {
  const results = await Promise.all(Array.from({ length: users }, (_, slot) => served.send(slot)));
  const failed = results.filter((ok) => !ok).length;
  if (failed > 0) throw new Error(`${mode}: ${failed} of ${users} first calls failed`);
}

export async function compareAuthModes(context: AuthContext): Promise<AuthResults> {
  const { progress, gateway } = context;
  progress('auth modes: starting three gateways (forward, mint, service key + identity)');
  const runtime = benchRuntime(gateway.tenant);
  const users = Array.from({ length: USERS }, (_, i) => `bench-user-${String(i).padStart(3, '0')}`);
  const identities = identityPool(
    users,
    hs256Identities(runtime.identitySecret, TENANT_CLAIM, gateway.tenant),
  );
  const tokens = await clientTokens(users, gateway.jwtSecret, gateway.tenant);
  const failures = failureLog();
  const children: Child[] = [];
  const pools: Endpoint[] = [];
  const started = async (options: GatewayOptions) => {
    const up = await startGatewayProcess(options);
    children.push(up.child);
    return up;
  };
  try {
    const forward = await started({ ...gateway, backendAuth: 'forward' });
    const mint = await started({ ...gateway, backendAuth: 'mint' });
    const agent = await started({
      ...gateway,
      backendAuth: 'mint',
      backChannel: { serviceKeys: runtime.serviceKeys, identitySecret: runtime.identitySecret },
    });
    await identities.prepare();
    // The API keeps notes per user: those made through the runtime's gateway are the same
    // users' notes when the other two modes act for them.
    progress(`auth modes: a note for each of ${USERS} users`);
    const userUids = await notesPerUser(agent.url, runtime.authorization, identities);
    // Each mode its own turn counter: the modes' rounds alternate, and each goes round the users.
    const asClient = (): CallOf => {
      let call = 0;
      return () => {
        const index = call++ % USERS;
        return { credentials: tokens[index] ?? '', uid: userUids[index] ?? '', session: index };
      };
    };
    let call = 0;
    const asRuntime: CallOf = () => {
      const index = call++ % USERS;
      return {
        credentials: runtimeCall(runtime.authorization, identities, index),
        uid: userUids[index] ?? '',
      };
    };
    const runtimeOpeners = Array.from({ length: context.connections }, () =>
      runtimeCall(runtime.authorization, identities, 0),
    );
    const served: Record<AuthMode, Served> = {
      forward: await serve('forward', forward, tokens, asClient(), context, failures),
      mint: await serve('mint', mint, tokens, asClient(), context, failures),
      'service-key': await serve(
        'service-key',
        agent,
        runtimeOpeners,
        asRuntime,
        context,
        failures,
      ),
    };
    pools.push(...AUTH_MODES.map((mode) => served[mode].to));
    for (const mode of AUTH_MODES) await checkEveryUser(mode, served[mode], USERS);

    const runs = await runModeRounds({
      ...context,
      label: 'auth modes',
      modes: AUTH_MODES,
      server: (mode) => served[mode],
      pids: (mode) => ({ hop: served[mode].child.pid, backend: context.backendPid }),
      fraction: LATENCY_FRACTION,
    });
    return {
      connections: context.connections,
      duration: context.duration,
      rounds: context.rounds,
      warmup: context.warmup,
      users: USERS,
      fraction: LATENCY_FRACTION,
      rate: runs.rate,
      figures: {
        forward: outcomeOf(runs, 'forward'),
        mint: outcomeOf(runs, 'mint'),
        'service-key': outcomeOf(runs, 'service-key'),
      },
      failed: {
        forward: failures.count('forward'),
        mint: failures.count('mint'),
        'service-key': failures.count('service-key'),
      },
      failures: failures.samples(),
      problems: children.flatMap((child) =>
        child.lines.filter((line) => /"level":"(warn|error|fatal)"/.test(line)),
      ),
    };
  } finally {
    for (const pool of pools) await pool.pool.close();
    for (const child of children.reverse()) await child.stop();
  }
}
