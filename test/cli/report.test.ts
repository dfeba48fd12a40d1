import { describe, expect, it } from 'vitest';
import { createReport } from '../../src/cli/report.ts';

describe('doctor report', () => {
  it('redacts configured secrets even if a check were to print one', () => {
    const lines: string[] = [];
    const report = createReport(
      (line) => {
        lines.push(line);
      },
      ['long-secret-value', 'short', undefined],
    );
    report.fail('saw long-secret-value twice: long-secret-value', 'fix short');
    expect(lines).toEqual(['✘ saw [redacted] twice: [redacted]', '  fix: fix short']);
    expect(report.failures).toBe(1);
  });
});
