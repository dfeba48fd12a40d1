import {
  flag,
  optionalText,
  requiredText,
  stringList,
  tagsParam,
  type ParamSpec,
} from './params.ts';

/**
 * The five entities and everything that differs between them (CONTRACT.md A.4 and B.6). The
 * eight operations in `operations.ts` are written once against this table.
 */

/** How a named parameter becomes a body key (CONTRACT.md A.4, "create body (in order)"). */
export interface BodyRule {
  readonly key: string;
  /** The parameter the value comes from. */
  readonly from: string;
  /**
   * `always`: sent whatever its value (required fields, and create_chat's `archived`).
   * `truthy`: sent only when Python-truthy (empty strings are not sent).
   * `json`: a JSON-string parameter; truthiness on the raw value, then parsed (trap 6).
   */
  readonly when: 'always' | 'truthy' | 'json';
}

const always = (key: string, from = key): BodyRule => ({ key, from, when: 'always' });
const truthy = (key: string, from = key): BodyRule => ({ key, from, when: 'truthy' });
const json = (key: string): BodyRule => ({ key, from: key, when: 'json' });

export interface EntitySpec {
  /** URL segment and list-tool suffix: `/v1/chat_messages`, `list_chat_messages`. */
  readonly collection: string;
  /** Tool-name stem: `get_chat_message`. */
  readonly stem: string;
  readonly label: string;
  readonly plural: string;
  /** The Python model name; the `$defs` key of the list output schema. */
  readonly model: string;
  /** Parameters of create_*, before `additional_fields`, in signature order. */
  readonly createParams: readonly ParamSpec[];
  /** Body keys of create_*, in insertion order (not always the signature order: chats). */
  readonly createBody: readonly BodyRule[];
  readonly createNote: string;
  /** Parameters of update_* between `uid` and `if_match`. */
  readonly updateParams: readonly ParamSpec[];
  /** Body keys of update_* after `uid`. */
  readonly updateBody: readonly BodyRule[];
  /** The payload keys a PUT loses unless `additional_fields` re-sends them (trap 4). */
  readonly updateDrops: string;
  readonly updateWarning: string;
  readonly archiveEffect: string;
  /** Process actions the API accepts, with what each writes into the payload (B.6). */
  readonly actions: readonly (readonly [action: string, effect: string])[];
  readonly listNote: string;
}

const title = requiredText('title', 'Title.');
const description = optionalText('description', 'Description; an empty string is not sent.');

export const ENTITIES: readonly EntitySpec[] = [
  {
    collection: 'notes',
    stem: 'note',
    label: 'note',
    plural: 'notes',
    model: 'Note',
    createParams: [
      title,
      requiredText('content', 'Body text, stored as given (markdown is fine).'),
      tagsParam,
    ],
    createBody: [always('title'), always('content'), json('tags')],
    createNote: '',
    updateParams: [title, requiredText('content', 'New body text.')],
    updateBody: [always('title'), always('content')],
    updateDrops: 'tags, pinned, status',
    updateWarning: '',
    archiveEffect: 'sets payload.status to "archived"',
    actions: [
      ['pin', 'pinned = true'],
      ['unpin', 'pinned = false'],
      ['archive', 'status = "archived"'],
      ['unarchive', 'status = "active"'],
    ],
    listNote: '',
  },
  {
    collection: 'tasks',
    stem: 'task',
    label: 'task',
    plural: 'tasks',
    model: 'Task',
    createParams: [
      title,
      description,
      optionalText(
        'status',
        'Initial status, free text; process_task later writes "in_progress", "completed" or "open".',
      ),
      optionalText('priority', 'Priority, free text (for example low, medium, high).'),
      optionalText('due_date', 'Due date as ISO 8601 text; sent as dueDate, not validated.'),
      tagsParam,
    ],
    createBody: [
      always('title'),
      truthy('description'),
      truthy('status'),
      truthy('priority'),
      truthy('dueDate', 'due_date'),
      json('tags'),
    ],
    createNote: '',
    updateParams: [title, description, optionalText('status', 'Status, free text.')],
    updateBody: [always('title'), truthy('description'), truthy('status')],
    updateDrops: 'priority, dueDate, tags',
    updateWarning: '',
    archiveEffect: 'sets payload.status to "archived"',
    actions: [
      ['start', 'status = "in_progress"'],
      ['complete', 'status = "completed"'],
      ['reopen', 'status = "open"'],
    ],
    listNote: '',
  },
  {
    collection: 'comments',
    stem: 'comment',
    label: 'comment',
    plural: 'comments',
    model: 'Comment',
    createParams: [
      requiredText('content', 'Comment text.'),
      requiredText('parent_type', '"note" or "task" (the API refuses anything else, "chat" too).'),
      requiredText('parent_uid', 'UID of a live (not deleted) note or task.'),
      optionalText('author', 'Author name; an empty string is not sent.'),
      tagsParam,
    ],
    createBody: [
      always('content'),
      always('parentType', 'parent_type'),
      always('parentUid', 'parent_uid'),
      truthy('author'),
      json('tags'),
    ],
    createNote:
      ' An invalid, missing or deleted parent fails with HTTP 500 (the API reports every ' +
      'validation failure as 500).',
    updateParams: [requiredText('content', 'New comment text.')],
    updateBody: [always('content')],
    updateDrops: 'parentType, parentUid, author, tags',
    updateWarning: ' Without parentType and parentUid the API fails with HTTP 500.',
    archiveEffect: 'sets payload.status to "archived"',
    actions: [
      ['resolve', 'status = "resolved"'],
      ['reopen', 'status = "open"'],
    ],
    listNote: ' Comments of every parent are listed; there is no parent filter.',
  },
  {
    collection: 'chats',
    stem: 'chat',
    label: 'chat',
    plural: 'chats',
    model: 'Chat',
    createParams: [
      title,
      description,
      stringList(
        'participants',
        'Participant ids, as an array of strings or a JSON-encoded array; an empty array is not sent.',
      ),
      flag('archived', 'Initial archived flag; always sent.'),
      tagsParam,
    ],
    createBody: [
      always('title'),
      always('archived'),
      truthy('description'),
      json('participants'),
      json('tags'),
    ],
    createNote: '',
    updateParams: [title, description],
    updateBody: [always('title'), truthy('description')],
    updateDrops: 'archived, participants, tags',
    updateWarning: ' Without archived: true an archived chat becomes unarchived.',
    archiveEffect: 'sets payload.archived to true',
    actions: [
      ['resolve', 'status = "resolved"'],
      ['reopen', 'status = "active"'],
    ],
    listNote: '',
  },
  {
    collection: 'chat_messages',
    stem: 'chat_message',
    label: 'chat message',
    plural: 'chat messages',
    model: 'ChatMessage',
    createParams: [
      requiredText('chat_uid', 'UID of a live (not deleted) chat; sent as chatUid.'),
      requiredText('content', 'Message text.'),
      optionalText('sender', 'Sender name or id; an empty string is not sent.'),
      optionalText(
        'message_type',
        'Message kind, free text (e.g. text, system); sent as messageType.',
      ),
      tagsParam,
    ],
    createBody: [
      always('chatUid', 'chat_uid'),
      always('content'),
      truthy('sender'),
      truthy('messageType', 'message_type'),
      json('tags'),
    ],
    createNote: ' An invalid, missing or deleted chat fails with HTTP 500.',
    updateParams: [requiredText('content', 'New message text.')],
    updateBody: [always('content')],
    updateDrops: 'chatUid, sender, messageType, tags',
    updateWarning: ' Without chatUid the API fails with HTTP 500.',
    archiveEffect: 'sets payload.archived to true',
    actions: [
      ['mark_read', 'read = true'],
      ['mark_delivered', 'delivered = true'],
    ],
    listNote: ' Messages of every chat are listed; there is no chat filter.',
  },
];
