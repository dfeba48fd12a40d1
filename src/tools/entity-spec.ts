import type { ParamSpec } from './params.ts';

/**
 * The shape of one row of the entity table (`entities.ts`): what differs between the five
 * entities, for requests, parameters and the generated descriptions.
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

export const always = (key: string, from = key): BodyRule => ({ key, from, when: 'always' });
export const truthy = (key: string, from = key): BodyRule => ({ key, from, when: 'truthy' });
export const json = (key: string): BodyRule => ({ key, from: key, when: 'json' });

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
  /** Parameters of update_* between `uid` and `if_match`. */
  readonly updateParams: readonly ParamSpec[];
  /** Body keys of update_* after `uid`. */
  readonly updateBody: readonly BodyRule[];
  /** The payload keys a PUT loses unless `additional_fields` re-sends them (trap 4). */
  readonly updateDrops: string;
  /** A further consequence of a PUT for this entity, as a sentence starting with a space. */
  readonly updateWarning: string;
  /** The payload key archive sets, and the value it sets (B.6). */
  readonly archiveSets: readonly [key: string, value: string];
  /** Process actions the API accepts, with what each writes into the payload (B.6). */
  readonly actions: readonly (readonly [action: string, effect: string])[];
  readonly listNote: string;
  /** The link the API checks on every write but delete (B.6 "Parent validation"). */
  readonly parent?: ParentLink;
  /** Records of other entities that link to this one, for the delete description. */
  readonly dependents?: string;
}

export interface ParentLink {
  /** The payload keys that hold the link. */
  readonly keys: string;
  /** The condition, as a clause: what the API accepts. */
  readonly rule: string;
  /** What the link points at. */
  readonly target: string;
}
