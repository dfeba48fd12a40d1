/**
 * TOOLBRIDGE_RATE_LIMITS: token buckets per caller, as comma-separated rules (docs/limits.md).
 *
 *   rule      = target "=" number "/" unit [ "burst" count ]
 *   target    = dimension [ "." class ] | class      ; a class alone is per subject
 *   dimension = subject | tenant | key                ; key: a service key calling on behalf
 *   class     = read | write | request               ; none: every tool call
 *   unit      = s | sec | second | m | min | minute | h | hour
 *
 * `subject=20/s burst 40, tenant=200/s, write=5/s` gives every caller (tenant + subject) a bucket
 * of 40 refilled at 20 per second for all its tool calls, a second bucket of 5 for its write
 * tools, and every tenant one of 200 for all its callers' calls together. A call takes one token
 * from each bucket that applies to it, or none when any of them is empty. Without `burst` a
 * bucket holds one unit's worth (`600/min`: 600 at once, then 10 per second).
 *
 * Problems name the rule by its position, never its text: a secret pasted into the wrong
 * variable must not reach a terminal (as for every variable, config.ts).
 */

export type Dimension = 'subject' | 'tenant' | 'key';
/** What a rule counts: every tool call, read tools, write tools, or HTTP requests at the edge. */
export type RuleClass = 'call' | 'read' | 'write' | 'request';

export interface RateRule {
  /** `subject`, `subject.write`, `tenant.request`…: the metric label and the name in messages. */
  readonly name: string;
  readonly dimension: Dimension;
  readonly counts: RuleClass;
  /** Tokens added back per second. */
  readonly perSecond: number;
  /** Tokens a full bucket holds: calls that may come at once after a quiet spell. */
  readonly burst: number;
  /** The rate as it reads in messages, e.g. `5/s burst 10`. */
  readonly text: string;
}

export type RulesParse =
  | { readonly ok: true; readonly value: readonly RateRule[] }
  | { readonly ok: false; readonly problem: string };

const DIMENSIONS: readonly Dimension[] = ['subject', 'tenant', 'key'];
const CLASSES: readonly RuleClass[] = ['read', 'write', 'request'];
const UNITS: Readonly<Record<string, readonly [seconds: number, short: string]>> = {
  s: [1, 's'],
  sec: [1, 's'],
  second: [1, 's'],
  m: [60, 'min'],
  min: [60, 'min'],
  minute: [60, 'min'],
  h: [3600, 'h'],
  hour: [3600, 'h'],
};
const MAX = 1_000_000;
const RULE =
  /^([a-z]+)(?:\s*\.\s*([a-z]+))?\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)(?:\s+burst\s+(\d+))?$/;
const SHAPE = 'expects target=rate/unit [burst N], e.g. subject=20/s burst 40';

const isDimension = (word: string): word is Dimension => DIMENSIONS.some((d) => d === word);
const isClass = (word: string): word is RuleClass => CLASSES.some((c) => c === word);

/** `subject`, `write` (per subject), `tenant.read`…, or undefined when the words mean nothing. */
function targetOf(first: string, second: string | undefined) {
  if (second === undefined) {
    if (isDimension(first)) return { dimension: first, counts: 'call' as const };
    if (isClass(first)) return { dimension: 'subject' as const, counts: first };
    return undefined;
  }
  return isDimension(first) && isClass(second) ? { dimension: first, counts: second } : undefined;
}

export function parseRateLimits(raw: string): RulesParse {
  const items = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  if (items.length === 0) return { ok: false, problem: `${SHAPE} (no rule given)` };
  const rules: RateRule[] = [];
  for (const [index, item] of items.entries()) {
    const at = `rule ${index + 1}`;
    const match = RULE.exec(item);
    if (match === null) return { ok: false, problem: `${at}: ${SHAPE}` };
    const [, first = '', second, amount = '', unitWord = '', burstText] = match;
    const target = targetOf(first, second);
    if (target === undefined) {
      return {
        ok: false,
        problem: `${at}: expects subject, tenant or key (optionally .read, .write or .request), or read, write or request alone, before '='`,
      };
    }
    const name =
      target.counts === 'call' ? target.dimension : `${target.dimension}.${target.counts}`;
    const unit = UNITS[unitWord];
    if (unit === undefined) {
      return { ok: false, problem: `${at} (${name}): expects a rate per s, min or h, e.g. 20/s` };
    }
    const count = Number(amount);
    const perSecond = count / unit[0];
    if (!(count > 0) || perSecond > MAX) {
      return {
        ok: false,
        problem: `${at} (${name}): expects a rate above 0 and at most ${MAX} per second`,
      };
    }
    const burst =
      burstText === undefined ? Math.min(MAX, Math.max(1, Math.ceil(count))) : Number(burstText);
    if (burst < 1 || burst > MAX) {
      return { ok: false, problem: `${at} (${name}): expects a burst from 1 to ${MAX}` };
    }
    if (rules.some((rule) => rule.name === name)) {
      return { ok: false, problem: `${at}: ${name} is limited twice; give each target one rule` };
    }
    const text = `${count}/${unit[1]} burst ${burst}`;
    rules.push({ name, ...target, perSecond, burst, text });
  }
  return { ok: true, value: rules };
}
