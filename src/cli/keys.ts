import { ServiceKeyEntry, newServiceKey } from '../auth/service-keys.ts';
import type { Sink } from './report.ts';
import { EX_USAGE } from './sign.ts';

/**
 * `toolbridge-mcp keys new`: a service key for an agent runtime. The raw key goes to `out` this
 * once and is kept nowhere; the entry for TOOLBRIDGE_SERVICE_KEYS, holding only its SHA-256,
 * follows it. Those two lines are all `out` gets, so a script can take them apart; what they are
 * for goes to `err`. Needs no configuration: a key is made before any gateway knows it.
 */

export interface KeysOptions {
  id?: string | undefined;
  scopes?: readonly string[] | undefined;
  /** None: the key may act for any tenant the gateway serves. */
  tenants?: readonly string[] | undefined;
  err: Sink;
  /** Random bytes; crypto's in production. */
  random?: (size: number) => Buffer;
}

const FLAGS: Readonly<Record<string, string>> = {
  id: '--id',
  scopes: '--scope',
  tenants: '--tenant',
};

export function runKeysNew(out: Sink, options: KeysOptions): number {
  const { err } = options;
  const say = (line: string) => {
    err(`toolbridge-mcp keys new: ${line}`);
  };
  if (options.id === undefined) {
    say('--id is required: the name the gateway logs the runtime by, e.g. --id runtime-staging');
    return EX_USAGE;
  }
  const tenants = [...(options.tenants ?? [])];
  const made = newServiceKey(
    {
      id: options.id,
      scopes: [...(options.scopes ?? [])],
      ...(tenants.length === 0 ? {} : { tenants }),
    },
    options.random,
  );
  // The same rules as the configuration's, so the entry printed is one the gateway accepts.
  const checked = ServiceKeyEntry.safeParse(made.entry);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const flag = FLAGS[String(issue.path[0])] ?? 'an option';
      say(`${flag} ${issue.message}`);
    }
    return EX_USAGE;
  }
  say(
    `the key for "${checked.data.id}" follows, shown this once and kept nowhere: the agent runtime sends it as "Authorization: Bearer <key>"`,
  );
  out(made.key);
  say("add this entry to TOOLBRIDGE_SERVICE_KEYS (it holds the key's SHA-256, not the key):");
  out(JSON.stringify(checked.data));
  if (checked.data.tenants === undefined) {
    say('note: no --tenant, so the key may act for any tenant this gateway serves');
  }
  return 0;
}
