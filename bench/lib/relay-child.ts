/**
 * Child process for bench/gateway.ts: the reference relay (relay.ts) in front of RELAY_TARGET, on
 * an ephemeral loopback port. Prints one JSON line `{"url": …}` once listening; stops on
 * SIGTERM/SIGINT.
 */
import { startRelay } from './relay.ts';

const target = process.env['RELAY_TARGET'];
if (target === undefined) {
  process.stderr.write('relay: RELAY_TARGET (the origin to relay to) is required\n');
  process.exit(64);
}
const relay = await startRelay(target);
process.stdout.write(`${JSON.stringify({ url: relay.url })}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await relay.close();
