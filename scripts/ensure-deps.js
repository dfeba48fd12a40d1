// `prestart` and `pretest`: runs `npm ci` when node_modules is missing or does not match
// package-lock.json, so that `npm start` and `npm test` are the whole set-up on a fresh clone.
// Plain JavaScript for the system's Node (20 will do): the project's own Node 24 arrives with
// `npm ci`. Silent when nothing is needed, and npm ci's output goes to stderr, so stdout stays
// clean for `$(npm start --silent -- token)`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { checkInstall } from './install-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { install, reason } = checkInstall(root);
if (install) {
  process.stderr.write(`toolbridge-mcp: ${reason}; running npm ci\n`);
  if (Number(process.versions.node.split('.')[0]) < 24) {
    process.stderr.write(
      `toolbridge-mcp: npm's EBADENGINE warnings for Node ${process.versions.node} are expected: those packages run on the Node 24 this install puts in node_modules\n`,
    );
  }
  // Under `npm start`/`npm test`, the npm that runs this script, on the Node it runs on: `npm`
  // from PATH would pick node_modules/.bin/node, which npm ci is about to delete.
  const npmCli = process.env.npm_execpath;
  const [command, args] =
    npmCli !== undefined && /npm-cli\.[cm]?js$/.test(npmCli)
      ? [process.env.npm_node_execpath ?? process.execPath, [npmCli]]
      : ['npm', []];
  const result = spawnSync(command, [...args, 'ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.error !== undefined) {
    process.stderr.write(`toolbridge-mcp: cannot run npm ci (${result.error.message})\n`);
  }
  process.exitCode = result.status ?? 1;
}
