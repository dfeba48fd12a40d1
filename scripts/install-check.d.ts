/** Types of install-check.js, which is plain JavaScript so that Node 20 runs it before `npm ci`. */
export interface InstallDecision {
  readonly install: boolean;
  readonly reason: string;
}
export function installNeeded(
  lockText: string | undefined,
  installedText: string | undefined,
): InstallDecision;
export function checkInstall(root: string): InstallDecision;
