/**
 * smoke: a short CI check (~15 s). A few VUs, each opening a session, touring all 40 data tools
 * on its own fresh records, then drawing from the mix with a little think time. Fails (k6 exit
 * 99) when a runbook threshold is crossed. Tunables: SMOKE_VUS (default 4), SMOKE_DURATION
 * (default 15s), THINK_MS (default 50).
 */
import { THRESHOLDS, userIteration } from './lib/workload.js';

export const options = {
  scenarios: {
    smoke: {
      executor: 'constant-vus',
      vus: Number(__ENV.SMOKE_VUS || 4),
      duration: __ENV.SMOKE_DURATION || '15s',
      gracefulStop: '5s',
      env: { THINK_MS: __ENV.THINK_MS || '50' },
    },
  },
  thresholds: THRESHOLDS,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default userIteration;
