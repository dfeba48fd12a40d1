/**
 * ramp: a benchmark. An open model (ramping-arrival-rate): tool calls start at a set rate
 * whatever the answers do, ramping from RAMP_START to RAMP_PEAK calls/s, holding the peak, then
 * ramping down. Each iteration is one tool call of a VU (user) from the mix, plus that VU's
 * session set-up every SESSION_CALLS calls. Tunables: RAMP_START (default 20), RAMP_PEAK
 * (default 500), RAMP_UP (default 30s), RAMP_HOLD (default 60s), RAMP_DOWN (default 10s),
 * RAMP_MAX_VUS (default 200).
 */
import { THRESHOLDS, userIteration } from './lib/workload.js';

const start = Number(__ENV.RAMP_START || 20);
const peak = Number(__ENV.RAMP_PEAK || 500);
const maxVUs = Number(__ENV.RAMP_MAX_VUS || 200);

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: start,
      timeUnit: '1s',
      preAllocatedVUs: Math.min(maxVUs, Math.max(10, Math.ceil(peak / 10))),
      maxVUs,
      stages: [
        { target: peak, duration: __ENV.RAMP_UP || '30s' },
        { target: peak, duration: __ENV.RAMP_HOLD || '60s' },
        { target: start, duration: __ENV.RAMP_DOWN || '10s' },
      ],
      gracefulStop: '10s',
    },
  },
  thresholds: THRESHOLDS,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default userIteration;
