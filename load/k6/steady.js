/**
 * steady: a constant arrival rate for a fixed time, for runs that count calls (issue 17: a replica
 * stopped mid-run must lose none). STEADY_RATE tool calls/s (default 40) for STEADY_DURATION
 * (default 20s), on up to STEADY_MAX_VUS VUs (default 50). An open model, like ramp: calls start
 * on schedule whatever the answers do, so a stall shows as failures or dropped iterations rather
 * than as a slower run.
 */
import { THRESHOLDS, userIteration } from './lib/workload.js';

const rate = Number(__ENV.STEADY_RATE || 40);
const maxVUs = Number(__ENV.STEADY_MAX_VUS || 50);

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: __ENV.STEADY_DURATION || '20s',
      preAllocatedVUs: Math.min(maxVUs, Math.max(5, Math.ceil(rate / 4))),
      maxVUs,
      gracefulStop: '10s',
    },
  },
  thresholds: THRESHOLDS,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default userIteration;
