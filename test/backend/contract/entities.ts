/** The five REST entities of CONTRACT.md B.6, with their archive/process effects and parents. */
import type { User } from './client.ts';
import { itemOf, type RestItem } from './shapes.ts';

export type EntityPath = 'notes' | 'tasks' | 'comments' | 'chats' | 'chat_messages';

export interface EntitySpec {
  readonly path: EntityPath;
  /** `<entity>` as it appears in error messages. */
  readonly name: string;
  /** What `POST …/archive` writes into the payload. */
  readonly archive: Readonly<Record<string, unknown>>;
  /** `POST …/process` actions and what each writes into the payload. */
  readonly actions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Payload keys linking to a parent; PUT must resend them (trap 4). */
  readonly parentKeys: readonly string[];
  /** A valid create body; creates any parent row it needs. */
  body(user: User): Promise<Record<string, unknown>>;
}

export async function createItem(
  user: User,
  spec: EntitySpec,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<RestItem> {
  const body = { ...(await spec.body(user)), ...extra };
  return itemOf(await user.call('POST', `/v1/${spec.path}`, { json: body }), 201);
}

export const notes: EntitySpec = {
  path: 'notes',
  name: 'note',
  archive: { status: 'archived' },
  actions: {
    pin: { pinned: true },
    unpin: { pinned: false },
    archive: { status: 'archived' },
    unarchive: { status: 'active' },
  },
  parentKeys: [],
  body: () => Promise.resolve({ title: 'Hi', content: 'x', tags: ['a'] }),
};

export const tasks: EntitySpec = {
  path: 'tasks',
  name: 'task',
  archive: { status: 'archived' },
  // trap 5: "completed"/"open", not "done"/"todo"
  actions: {
    start: { status: 'in_progress' },
    complete: { status: 'completed' },
    reopen: { status: 'open' },
  },
  parentKeys: [],
  body: () =>
    Promise.resolve({ title: 'Task', description: 'd', status: 'todo', priority: 'high' }),
};

export const chats: EntitySpec = {
  path: 'chats',
  name: 'chat',
  archive: { archived: true },
  actions: { resolve: { status: 'resolved' }, reopen: { status: 'active' } },
  parentKeys: [],
  body: () => Promise.resolve({ title: 'Chat', archived: false, participants: ['u1', 'u2'] }),
};

export const comments: EntitySpec = {
  path: 'comments',
  name: 'comment',
  archive: { status: 'archived' },
  actions: { resolve: { status: 'resolved' }, reopen: { status: 'open' } },
  parentKeys: ['parentType', 'parentUid'],
  async body(user) {
    const parent = await createItem(user, notes);
    return { content: 'c', parentType: 'note', parentUid: parent.uid, author: 'me' };
  },
};

export const chatMessages: EntitySpec = {
  path: 'chat_messages',
  name: 'chat message',
  archive: { archived: true },
  actions: { mark_read: { read: true }, mark_delivered: { delivered: true } },
  parentKeys: ['chatUid'],
  async body(user) {
    const chat = await createItem(user, chats);
    return { chatUid: chat.uid, content: 'm', sender: 'me', messageType: 'text' };
  },
};

export const ENTITIES: readonly EntitySpec[] = [notes, tasks, comments, chats, chatMessages];

/** An action valid for some other entity but not for `spec`. */
export function foreignAction(spec: EntitySpec): string {
  const own = new Set(Object.keys(spec.actions));
  for (const other of ENTITIES) {
    for (const action of Object.keys(other.actions)) if (!own.has(action)) return action;
  }
  throw new Error('no foreign action');
}

/** The parent-link keys of a stored payload, for a PUT that must keep them. */
export function parentLink(spec: EntitySpec, item: RestItem): Record<string, unknown> {
  return Object.fromEntries(spec.parentKeys.map((key) => [key, item.payload[key]]));
}
