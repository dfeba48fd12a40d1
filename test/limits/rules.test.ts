import { describe, expect, it } from 'vitest';
import { parseRateLimits, type RateRule } from '../../src/limits/rules.ts';

const rules = (raw: string): readonly RateRule[] => {
  const parsed = parseRateLimits(raw);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
};

const problem = (raw: string): string => {
  const parsed = parseRateLimits(raw);
  if (parsed.ok) throw new Error('expected the rules to be refused');
  return parsed.problem;
};

describe('TOOLBRIDGE_RATE_LIMITS grammar', () => {
  it("reads the issue's example: a class alone is per subject", () => {
    expect(rules('subject=20/s burst 40, tenant=200/s, write=5/s')).toEqual([
      {
        name: 'subject',
        dimension: 'subject',
        counts: 'call',
        perSecond: 20,
        burst: 40,
        text: '20/s burst 40',
      },
      {
        name: 'tenant',
        dimension: 'tenant',
        counts: 'call',
        perSecond: 200,
        burst: 200,
        text: '200/s burst 200',
      },
      {
        name: 'subject.write',
        dimension: 'subject',
        counts: 'write',
        perSecond: 5,
        burst: 5,
        text: '5/s burst 5',
      },
    ]);
  });

  const cases: [raw: string, name: string, perSecond: number, burst: number][] = [
    ['key=100/s', 'key', 100, 100],
    ['tenant.read=50/s burst 80', 'tenant.read', 50, 80],
    ['key.write=1/sec', 'key.write', 1, 1],
    ['request=10/second', 'subject.request', 10, 10],
    ['tenant.request=600/min', 'tenant.request', 10, 600],
    ['subject=30/m burst 5', 'subject', 0.5, 5],
    ['subject=3600/hour', 'subject', 1, 3600],
    ['read=7200/h burst 2', 'subject.read', 2, 2],
    ['subject=0.5/s', 'subject', 0.5, 1],
    ['  SUBJECT . WRITE = 2 / S  BURST 3 ', 'subject.write', 2, 3],
  ];
  it.each(cases)('%j → %s at %d/s, burst %d', (raw, name, perSecond, burst) => {
    expect(rules(raw)).toMatchObject([{ name, perSecond, burst }]);
  });

  it('skips empty items, as the other list variables do', () => {
    expect(rules(',subject=1/s,, tenant=2/s,').map((rule) => rule.name)).toEqual([
      'subject',
      'tenant',
    ]);
  });

  const refused: [raw: string, expected: string][] = [
    ['subject=20', 'rule 1: expects target=rate/unit [burst N]'],
    ['subject 20/s', 'rule 1: expects target=rate/unit [burst N]'],
    ['subject=20/s burst', 'rule 1: expects target=rate/unit [burst N]'],
    ['subject=-1/s', 'rule 1: expects target=rate/unit [burst N]'],
    ['tenant=1/s, SENTINEL=5/s', 'rule 2: expects subject, tenant or key'],
    ['sentinel.write=5/s', 'rule 1: expects subject, tenant or key'],
    ['subject.sentinel=5/s', 'rule 1: expects subject, tenant or key'],
    ['write.subject=5/s', 'rule 1: expects subject, tenant or key'],
    ['subject=5/sentinel', 'rule 1 (subject): expects a rate per s, min or h'],
    ['subject=0/s', 'rule 1 (subject): expects a rate above 0 and at most 1000000 per second'],
    ['tenant=2000000/s', 'rule 1 (tenant): expects a rate above 0'],
    ['subject=1/s burst 0', 'rule 1 (subject): expects a burst from 1 to 1000000'],
    ['subject=1/s burst 1000001', 'rule 1 (subject): expects a burst from 1 to 1000000'],
    ['write=5/s, subject.write=9/s', 'rule 2: subject.write is limited twice'],
    [' , ', 'no rule given'],
  ];
  it.each(refused)('refuses %j: "%s", without repeating the text', (raw, expected) => {
    const text = problem(raw);
    expect(text).toContain(expected);
    expect(text.toLowerCase()).not.toContain('sentinel');
  });

  it('caps the default burst of a large hourly rate at the largest burst', () => {
    expect(rules('tenant=3600000/h')).toMatchObject([{ perSecond: 1000, burst: 1_000_000 }]);
  });
});
