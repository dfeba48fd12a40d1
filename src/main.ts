#!/usr/bin/env node
/**
 * The entry point of `npm start` and of the packaged `toolbridge-mcp` bin. The program needs
 * Node 24 (undici 8, among others), and on an older Node importing it fails with a TypeError that
 * says nothing about versions. So this module imports nothing statically, checks the version, and
 * only then loads the program. It keeps to syntax old Nodes parse (no `?.`, `??` or top-level
 * await), so the check runs on whatever `node` is first on PATH.
 */

const REQUIRED_MAJOR = 24;
/** sysexits(3) EX_UNAVAILABLE: something the program needs (here, Node 24) is not available. */
const EX_UNAVAILABLE = 69;

const major = Number(process.versions.node.split('.')[0]);
if (major >= REQUIRED_MAJOR) {
  void import('./cli/main.ts');
} else {
  process.stderr.write(
    `toolbridge-mcp needs Node ${REQUIRED_MAJOR} or newer (this is Node ${process.version})\n`,
  );
  process.exitCode = EX_UNAVAILABLE;
}
