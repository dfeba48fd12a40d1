import { parseUuid, type JsonObject } from './go-wire.ts';

/** The five REST entities and what differs between them (CONTRACT.md B.6). */

export type EntityPath = 'notes' | 'tasks' | 'comments' | 'chats' | 'chat_messages';

/** Looks up whether a row exists for this user and is not soft-deleted. */
export type LiveLookup = (entity: EntityPath, uid: string) => boolean;

export interface EntitySpec {
  readonly path: EntityPath;
  /** `<entity>` in error messages: "note not found", "chat message deleted". */
  readonly label: string;
  readonly archive: (payload: JsonObject) => void;
  readonly actions: ReadonlyMap<string, (payload: JsonObject) => void>;
  /** Checks run on every non-delete mutation; a failure is a 500 in Go (trap 5). */
  readonly isValid: (payload: JsonObject, live: LiveLookup) => boolean;
}

const set =
  (key: string, value: string | boolean) =>
  (payload: JsonObject): void => {
    payload[key] = value;
  };

const always = () => true;

/** A UUID-valued key naming a live row of one of the given entities. */
const linksTo = (key: string, payload: JsonObject, entities: EntityPath[], live: LiveLookup) => {
  const value = payload[key];
  const uid = typeof value === 'string' ? parseUuid(value) : undefined;
  return uid !== undefined && entities.some((entity) => live(entity, uid));
};

const PARENT_ENTITY: ReadonlyMap<string, EntityPath> = new Map([
  ['note', 'notes'],
  ['task', 'tasks'],
]);

export const ENTITIES: readonly EntitySpec[] = [
  {
    path: 'notes',
    label: 'note',
    archive: set('status', 'archived'),
    actions: new Map([
      ['pin', set('pinned', true)],
      ['unpin', set('pinned', false)],
      ['archive', set('status', 'archived')],
      ['unarchive', set('status', 'active')],
    ]),
    isValid: always,
  },
  {
    path: 'tasks',
    label: 'task',
    archive: set('status', 'archived'),
    actions: new Map([
      ['start', set('status', 'in_progress')],
      ['complete', set('status', 'completed')],
      ['reopen', set('status', 'open')],
    ]),
    isValid: always,
  },
  {
    path: 'comments',
    label: 'comment',
    archive: set('status', 'archived'),
    actions: new Map([
      ['resolve', set('status', 'resolved')],
      ['reopen', set('status', 'open')],
    ]),
    isValid: (payload, live) => {
      const parentType = payload['parentType'];
      const parent = typeof parentType === 'string' ? PARENT_ENTITY.get(parentType) : undefined;
      return parent !== undefined && linksTo('parentUid', payload, [parent], live);
    },
  },
  {
    path: 'chats',
    label: 'chat',
    archive: set('archived', true),
    actions: new Map([
      ['resolve', set('status', 'resolved')],
      ['reopen', set('status', 'active')],
    ]),
    isValid: always,
  },
  {
    path: 'chat_messages',
    label: 'chat message',
    archive: set('archived', true),
    actions: new Map([
      ['mark_read', set('read', true)],
      ['mark_delivered', set('delivered', true)],
    ]),
    isValid: (payload, live) => linksTo('chatUid', payload, ['chats'], live),
  },
];

export const ENTITY_BY_PATH: ReadonlyMap<string, EntitySpec> = new Map(
  ENTITIES.map((entity) => [entity.path, entity]),
);
