/**
 * The workload every profile runs: each VU is one user (its own `sub`, so its own data) with one
 * MCP session at a time. Each iteration makes one tool call:
 *
 * - first a tour of all 40 data tools on records the VU has just created (so even the shortest run
 *   exercises every tool and the whole create → read → change → delete lifecycle);
 * - then calls drawn from the weights in ../mix.json (reads 60 %, writes 40 %), each on the VU's
 *   own fresh records. A call that needs a record the VU does not have (yet) creates one instead.
 *
 * Every SESSION_CALLS tool calls the VU ends its session (DELETE /mcp) and opens a new one
 * (initialize → notifications/initialized → tools/list), as agent conversations come and go.
 *
 * Environment: MCP_URL (…/mcp), JWT_SECRET (HS256 secret of the gateway), TENANT_ID (default
 * "load"), RUN_ID (prefix of each VU's `sub`, default "k6"), SESSION_CALLS (default 50),
 * THINK_MS (mean pause after each call, default 0), PROTOCOL_VERSION (default 2025-06-18).
 */
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { callTool, closeSession, openSession, signJwt } from './mcp.js';

const MIX = JSON.parse(open('../mix.json')).weights;

function envString(name, fallback) {
  const value = __ENV[name];
  if (value !== undefined && value !== '') return value;
  if (fallback === undefined) throw new Error(`${name} is required`);
  return fallback;
}

function envNumber(name, fallback) {
  const value = Number(envString(name, String(fallback)));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
}

const URL = envString('MCP_URL');
const JWT_SECRET = envString('JWT_SECRET');
const TENANT_ID = envString('TENANT_ID', 'load');
const RUN_ID = envString('RUN_ID', 'k6');
const SESSION_CALLS = Math.max(1, envNumber('SESSION_CALLS', 50));
const PROTOCOL_VERSION = envString('PROTOCOL_VERSION', '2025-06-18');
/** Records a VU keeps handy per kind; older ones stay stored but are no longer touched. */
const WORKING_SET = 30;
const LIST_LIMIT = 20;
/** Failure messages each VU prints at most, so a broken run stays readable. */
const MAX_REPORTS = 3;

// --- realistic-looking content ------------------------------------------------------------

const WORDS = (
  'agenda backlog budget customer deadline design draft feedback follow-up invoice launch ' +
  'meeting milestone onboarding outage plan priority q3 recap release review roadmap ' +
  'sprint standup summary support team ticket timeline update vendor weekly'
).split(' ');
const TAGS = ['work', 'personal', 'urgent', 'idea', 'later', 'ops', 'product', 'finance'];
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

const pickOne = (items) => items[Math.floor(Math.random() * items.length)];
const words = (count) => Array.from({ length: count }, () => pickOne(WORDS)).join(' ');
const sentence = (min, max) => {
  const text = words(min + Math.floor(Math.random() * (max - min + 1)));
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
};
const paragraph = (sentences) => Array.from({ length: sentences }, () => sentence(6, 14)).join(' ');
const someTags = () => [...new Set([pickOne(TAGS), pickOne(TAGS)])];
const dueDate = () => new Date(Date.now() + Math.random() * 30 * 86_400_000).toISOString();

// --- the 40 data tools --------------------------------------------------------------------

/** Entity kinds: list tool, the actions process_* accepts, and how to make/change a record. */
const KINDS = {
  note: {
    list: 'list_notes',
    actions: ['pin', 'unpin', 'archive', 'unarchive'],
    create: () => ({ title: sentence(2, 6), content: paragraph(3), tags: someTags() }),
    update: () => ({ title: sentence(2, 6), content: paragraph(4) }),
    patch: () => ({ pinned: Math.random() < 0.5, tags: someTags() }),
  },
  task: {
    list: 'list_tasks',
    actions: ['start', 'complete', 'reopen'],
    create: () => ({
      title: sentence(3, 8),
      description: paragraph(2),
      status: 'todo',
      priority: pickOne(['low', 'medium', 'high']),
      due_date: dueDate(),
      tags: someTags(),
    }),
    update: () => ({
      title: sentence(3, 8),
      description: paragraph(2),
      status: pickOne(['todo', 'in_progress', 'done']),
    }),
    patch: () => ({ priority: pickOne(['low', 'medium', 'high']), dueDate: dueDate() }),
  },
  chat: {
    list: 'list_chats',
    actions: ['resolve', 'reopen'],
    create: () => ({
      title: sentence(2, 5),
      description: sentence(6, 12),
      participants: [pickOne(NAMES), pickOne(NAMES)],
      tags: someTags(),
    }),
    update: () => ({ title: sentence(2, 5), description: sentence(6, 12) }),
    patch: () => ({ topic: words(2) }),
  },
  chat_message: {
    list: 'list_chat_messages',
    actions: ['mark_read', 'mark_delivered'],
    needs: ['chat'],
    parentOf: (args) => ({ kind: 'chat', uid: args.chat_uid }),
    // PUT replaces the whole payload and the API checks the link: re-send it, as clients must.
    updateLink: (parent) => ({ chatUid: parent.uid }),
    create: (state) => ({
      chat_uid: randomRecord(state, 'chat').uid,
      content: sentence(4, 20),
      sender: pickOne(NAMES),
      message_type: 'text',
    }),
    update: () => ({ content: sentence(4, 20) }),
    patch: () => ({ reactions: [pickOne(['+1', 'eyes', 'check'])] }),
  },
  comment: {
    list: 'list_comments',
    actions: ['resolve', 'reopen'],
    needs: ['note', 'task'],
    parentOf: (args) => ({ kind: args.parent_type, uid: args.parent_uid }),
    updateLink: (parent) => ({ parentType: parent.kind, parentUid: parent.uid }),
    create: (state) => {
      const parentType = pickOne(['note', 'task'].filter((k) => state.pools[k].length > 0));
      return {
        content: sentence(5, 25),
        parent_type: parentType,
        parent_uid: randomRecord(state, parentType).uid,
        author: pickOne(NAMES),
      };
    },
    update: () => ({ content: sentence(5, 25) }),
    patch: () => ({ edited: true }),
  },
};

/** tool name → { op, kind } for the 40 data tools. */
const TOOLS = {};
for (const [kind, spec] of Object.entries(KINDS)) {
  TOOLS[spec.list] = { op: 'list', kind };
  for (const op of ['get', 'create', 'update', 'patch', 'process', 'archive', 'delete']) {
    TOOLS[`${op}_${kind}`] = { op, kind };
  }
}
for (const name of Object.keys(MIX)) {
  if (TOOLS[name] === undefined) throw new Error(`mix.json names an unknown tool: ${name}`);
}
for (const name of Object.keys(TOOLS)) {
  if (!(MIX[name] > 0)) throw new Error(`mix.json gives ${name} no weight`);
}

const READ_OPS = new Set(['list', 'get']);
const CUMULATIVE = (() => {
  let total = 0;
  return Object.entries(MIX).map(([name, weight]) => {
    total += weight;
    return { name, upTo: total };
  });
})();
const TOTAL_WEIGHT = CUMULATIVE[CUMULATIVE.length - 1].upTo;

function drawTool() {
  const x = Math.random() * TOTAL_WEIGHT;
  for (const entry of CUMULATIVE) if (x < entry.upTo) return entry.name;
  return CUMULATIVE[CUMULATIVE.length - 1].name;
}

/** Every data tool once, in lifecycle order; two records of each kind so deletes leave one. */
function tour() {
  const kinds = ['note', 'task', 'chat', 'chat_message', 'comment'];
  const steps = [];
  for (const kind of kinds) steps.push(`create_${kind}`, `create_${kind}`);
  for (const kind of kinds) steps.push(KINDS[kind].list);
  for (const op of ['get', 'update', 'patch', 'process', 'archive', 'delete']) {
    for (const kind of kinds) steps.push(`${op}_${kind}`);
  }
  return steps;
}

// --- per-VU state -------------------------------------------------------------------------

/** Module state is per VU in k6: one user, its session and its records. */
const state = {
  token: undefined,
  session: undefined,
  callsInSession: 0,
  pending: tour(),
  pools: { note: [], task: [], chat: [], chat_message: [], comment: [] },
  cursors: {},
  reports: 0,
};

function randomRecord(s, kind) {
  const pool = s.pools[kind];
  return pool.length === 0 ? undefined : pickOne(pool);
}

function token() {
  if (state.token === undefined) {
    const now = Math.floor(Date.now() / 1000);
    state.token = signJwt(JWT_SECRET, {
      sub: `${RUN_ID}-vu${exec.vu.idInTest}`,
      tenant_id: TENANT_ID,
      iat: now,
      exp: now + 12 * 3600,
    });
  }
  return state.token;
}

function report(message) {
  if (state.reports >= MAX_REPORTS) return;
  state.reports += 1;
  // eslint-disable-next-line no-console -- k6's logger is console; capped per VU.
  console.warn(`VU ${exec.vu.idInTest}: ${message}`);
}

/**
 * The call to make for `tool`, or for what it depends on when the VU lacks a record: a get on
 * an empty pool becomes a create, a message without a chat creates the chat first, and so on.
 */
function resolveTool(tool) {
  const { op, kind } = TOOLS[tool];
  if (op === 'list' || op === 'create') {
    const needs = op === 'create' ? (KINDS[kind].needs ?? []) : [];
    if (needs.length > 0 && needs.every((other) => state.pools[other].length === 0)) {
      return `create_${needs[0]}`;
    }
    return tool;
  }
  return state.pools[kind].length > 0 ? tool : resolveTool(`create_${kind}`);
}

function remember(kind, data, args) {
  const pool = state.pools[kind];
  const parentOf = KINDS[kind].parentOf;
  pool.push({
    uid: data.uid,
    version: data.version,
    parent: parentOf === undefined ? undefined : parentOf(args),
  });
  if (pool.length > WORKING_SET) pool.shift();
}

/**
 * Forgets a deleted record, and the comments or messages under it: the API refuses to change a
 * record whose parent is gone, so the app would no longer offer them.
 */
function forget(kind, uid) {
  for (const [other, pool] of Object.entries(state.pools)) {
    state.pools[other] = pool.filter(
      (record) =>
        !(other === kind && record.uid === uid) &&
        !(record.parent !== undefined && record.parent.kind === kind && record.parent.uid === uid),
    );
  }
}

function argumentsFor(op, kind, target) {
  const spec = KINDS[kind];
  switch (op) {
    case 'list': {
      const cursor = state.cursors[kind];
      return cursor !== undefined && Math.random() < 0.5
        ? { limit: LIST_LIMIT, cursor }
        : { limit: LIST_LIMIT };
    }
    case 'get':
    case 'archive':
    case 'delete':
      return { uid: target.uid };
    case 'create':
      return spec.create(state);
    case 'update': {
      const args = { uid: target.uid, ...spec.update(), if_match: target.version };
      if (spec.updateLink !== undefined) args.additional_fields = spec.updateLink(target.parent);
      return args;
    }
    case 'patch':
      return { uid: target.uid, updates: spec.patch() };
    case 'process':
      return { uid: target.uid, action: pickOne(spec.actions) };
    default:
      throw new Error(`unknown op ${op}`);
  }
}

/** Folds a successful answer into the VU's state; false when its shape is not the expected one. */
function absorb(op, kind, target, args, data) {
  if (data === undefined || data === null) return false;
  if (op === 'list') {
    if (!Array.isArray(data.items)) return false;
    state.cursors[kind] =
      data.items.length > 0 && typeof data.nextCursor === 'string' ? data.nextCursor : undefined;
    return true;
  }
  if (typeof data.uid !== 'string' || typeof data.version !== 'number') return false;
  if (op === 'create') {
    remember(kind, data, args);
    return true;
  }
  if (data.uid !== target.uid) return false;
  if (op === 'delete') {
    forget(kind, target.uid);
    return typeof data.deletedAt === 'string';
  }
  target.version = data.version;
  return true;
}

function perform(tool) {
  const name = resolveTool(tool);
  const { op, kind } = TOOLS[name];
  const target = op === 'list' || op === 'create' ? undefined : randomRecord(state, kind);
  const args = argumentsFor(op, kind, target);
  const kindOfCall = READ_OPS.has(op) ? 'read' : 'write';
  const result = callTool(URL, token(), state.session, name, args, kindOfCall);
  const shaped = result.ok && absorb(op, kind, target, args, result.data);
  check(result, {
    'tools/call succeeded': (r) => r.ok,
    'tools/call answer has the expected shape': () => shaped,
  });
  if (!result.ok) {
    report(`${name} failed: ${result.error}`);
    // Unknown session (gateway restarted, idled out): open a new one next time.
    if (result.status === 404) state.session = undefined;
  } else if (!shaped) {
    report(`${name} answered an unexpected shape: ${JSON.stringify(result.data).slice(0, 200)}`);
  }
}

function ensureSession() {
  if (state.session !== undefined) return true;
  const session = openSession(URL, token(), PROTOCOL_VERSION);
  const complete =
    session !== undefined && Object.keys(TOOLS).every((t) => session.tools.includes(t));
  check(session, {
    'session opened (initialize, initialized, tools/list)': (s) => s !== undefined,
    'tools/list lists every data tool': () => complete,
  });
  if (session === undefined) {
    report('could not open an MCP session');
    return false;
  }
  state.session = session;
  state.callsInSession = 0;
  return true;
}

/** One iteration: (open a session if needed,) one tool call, (end the session if it is done.) */
export function userIteration() {
  if (!ensureSession()) {
    sleep(0.5);
    return;
  }
  perform(state.pending.length > 0 ? state.pending.shift() : drawTool());
  state.callsInSession += 1;
  if (state.session !== undefined && state.callsInSession >= SESSION_CALLS) {
    closeSession(URL, token(), state.session);
    state.session = undefined;
  }
  // Read per call: a scenario's `env` is only visible while its iterations run.
  const thinkMs = envNumber('THINK_MS', 0);
  if (thinkMs > 0) sleep((thinkMs / 1000) * (0.5 + Math.random()));
}

/** Thresholds from the runbook: p95 latency under 200 ms, under 1 % errors of any kind. */
export const THRESHOLDS = {
  http_req_duration: ['p(95)<200'],
  http_req_failed: ['rate<0.01'],
  mcp_errors: ['rate<0.01'],
  checks: ['rate>0.99'],
};
