import { always, json, truthy, type EntitySpec } from './entity-spec.ts';
import { flag, optionalText, requiredText, stringList, tagsParam } from './params.ts';

/**
 * The five entities and everything that differs between them (CONTRACT.md A.4 and B.6). The
 * eight operations in `operations.ts` are written once against this table.
 */

const title = requiredText('title', 'Title, stored as given.');
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
    updateParams: [title, requiredText('content', 'New body text, in place of the old one.')],
    updateBody: [always('title'), always('content')],
    updateDrops: 'tags, pinned, status',
    updateWarning: '',
    archiveSets: ['status', '"archived"'],
    actions: [
      ['pin', 'pinned = true'],
      ['unpin', 'pinned = false'],
      ['archive', 'status = "archived"'],
      ['unarchive', 'status = "active"'],
    ],
    listNote: '',
    dependents: 'comments',
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
    updateParams: [
      title,
      description,
      optionalText('status', 'Status, free text; an empty string is not sent.'),
    ],
    updateBody: [always('title'), truthy('description'), truthy('status')],
    updateDrops: 'priority, dueDate, tags',
    updateWarning: '',
    archiveSets: ['status', '"archived"'],
    actions: [
      ['start', 'status = "in_progress"'],
      ['complete', 'status = "completed"'],
      ['reopen', 'status = "open"'],
    ],
    listNote: '',
    dependents: 'comments',
  },
  {
    collection: 'comments',
    stem: 'comment',
    label: 'comment',
    plural: 'comments',
    model: 'Comment',
    createParams: [
      requiredText('content', 'The comment text, stored as given.'),
      requiredText(
        'parent_type',
        '"note" or "task"; sent as parentType. The API refuses anything else, "chat" too ' +
          '(HTTP 500).',
      ),
      requiredText(
        'parent_uid',
        'The uid of a live (not deleted) note or task of yours, as parent_type says; sent as ' +
          'parentUid.',
      ),
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
    updateParams: [requiredText('content', 'New comment text, in place of the old one.')],
    updateBody: [always('content')],
    updateDrops: 'parentType, parentUid, author, tags',
    updateWarning: '',
    archiveSets: ['status', '"archived"'],
    actions: [
      ['resolve', 'status = "resolved"'],
      ['reopen', 'status = "open"'],
    ],
    listNote: ' Comments of every parent are listed; there is no parent filter.',
    parent: {
      keys: 'parentType and parentUid',
      rule: 'parentType is "note" or "task" and parentUid is the uid of a live (not deleted) note or task of yours',
      target: 'note or task',
    },
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
    updateParams: [title, description],
    updateBody: [always('title'), truthy('description')],
    updateDrops: 'archived, participants, tags',
    updateWarning: ' Without archived: true an archived chat becomes unarchived.',
    archiveSets: ['archived', 'true'],
    actions: [
      ['resolve', 'status = "resolved"'],
      ['reopen', 'status = "active"'],
    ],
    listNote: '',
    dependents: 'messages',
  },
  {
    collection: 'chat_messages',
    stem: 'chat_message',
    label: 'chat message',
    plural: 'chat messages',
    model: 'ChatMessage',
    createParams: [
      requiredText('chat_uid', 'The uid of a live (not deleted) chat of yours; sent as chatUid.'),
      requiredText('content', 'The message text, stored as given.'),
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
    updateParams: [requiredText('content', 'New message text, in place of the old one.')],
    updateBody: [always('content')],
    updateDrops: 'chatUid, sender, messageType, tags',
    updateWarning: '',
    archiveSets: ['archived', 'true'],
    actions: [
      ['mark_read', 'read = true'],
      ['mark_delivered', 'delivered = true'],
    ],
    listNote: ' Messages of every chat are listed; there is no chat filter.',
    parent: {
      keys: 'chatUid',
      rule: 'chatUid is the uid of a live (not deleted) chat of yours',
      target: 'chat',
    },
  },
];
