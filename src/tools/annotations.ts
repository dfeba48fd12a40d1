import type { EntitySpec } from './entity-spec.ts';
import type { OperationVerb } from './operations.ts';
import type { ToolAnnotations } from './types.ts';

/**
 * MCP tool annotations per operation. The hints follow the MCP wording: `destructiveHint` true
 * when the tool "may perform destructive updates", false when it "performs only additive
 * updates"; `idempotentHint` true when repeating a call with the same arguments "has no
 * additional effect on its environment".
 *
 * Two readings are taken throughout:
 * - Destructive means a call can discard stored data the caller did not name in its arguments.
 *   Overwriting the one key an operation exists to set (archive, process) is the requested change,
 *   can be set back with another call, and is not counted.
 * - Idempotent is about the stored content, as for HTTP PUT and DELETE: every applied write also
 *   moves the record's version and updatedAt (CONTRACT.md B.6), so a repeat is never perfectly
 *   invisible, but it leaves the record as one call did. That is what a client asks when it
 *   wonders whether a call whose answer was lost may be sent again.
 *
 * openWorldHint is false for all 41 tools: each one reads or writes only the caller's own notes,
 * tasks, comments, chats and chat messages in the one ToolBridge API the gateway is configured
 * for (B.6: data is scoped per user), a closed domain like MCP's "memory tool" example; none
 * reaches the web or a third party. health_check makes no request at all.
 */
export type ToolHints = Omit<ToolAnnotations, 'title'>;

const CLOSED_WORLD = { openWorldHint: false };

const READ: ToolHints = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  ...CLOSED_WORLD,
};

export const HINTS: Readonly<Record<OperationVerb, ToolHints>> = {
  list: READ,
  get: READ,
  // A new record with a new uid per call, so not idempotent. Destructive although creating is
  // additive: a `uid` in additional_fields turns the call into an upsert that replaces that
  // record's whole payload, no If-Match possible, and revives it if deleted (B.6). A client that
  // let a "non-destructive" create through unasked would let that through too.
  create: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, ...CLOSED_WORLD },
  // PUT replaces the whole payload: every key not re-sent is dropped (trap 4). The same
  // arguments again store the same payload; with if_match the repeat fails with 412 instead.
  update: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, ...CLOSED_WORLD },
  // A shallow merge of the same keys twice stores the same payload: idempotent. Destructive
  // because a nested object in `updates` replaces the stored one whole, dropping nested keys the
  // caller never named, and no earlier value is kept anywhere.
  patch: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, ...CLOSED_WORLD },
  // A soft delete: the record disappears from lists and every later write answers 410, and no
  // tool undoes it short of a create-upsert with a new payload. The repeat changes nothing (410).
  delete: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, ...CLOSED_WORLD },
  // Sets one key (status or archived) to a fixed value and keeps the rest; patch or process sets
  // it back. A repeat writes the same value.
  archive: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, ...CLOSED_WORLD },
  // Every action of every entity sets one key to a fixed value (pin → pinned=true, complete →
  // status="completed", ...): the same action twice leaves the same payload, and another action
  // (unpin, reopen, ...) or patch sets it back. metadata is never stored.
  process: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, ...CLOSED_WORLD },
};

const TITLES: Readonly<Record<OperationVerb, (entity: EntitySpec) => string>> = {
  list: (entity) => `List ${entity.plural}`,
  get: (entity) => `Get ${entity.label}`,
  create: (entity) => `Create ${entity.label}`,
  update: (entity) => `Replace ${entity.label}`,
  patch: (entity) => `Patch ${entity.label}`,
  delete: (entity) => `Delete ${entity.label}`,
  archive: (entity) => `Archive ${entity.label}`,
  process: (entity) =>
    `Apply ${entity.label} action (${entity.actions.map(([action]) => action).join(', ')})`,
};

export function annotationsFor(verb: OperationVerb, entity: EntitySpec): ToolAnnotations {
  return { title: TITLES[verb](entity), ...HINTS[verb] };
}

/** Answers from the gateway's own settings; nothing is read or written anywhere. */
export const HEALTH_ANNOTATIONS: ToolAnnotations = { title: 'Health check', ...READ };
