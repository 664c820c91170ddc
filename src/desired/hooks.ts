import type { State } from '../config/schema.js';
import { type DesiredHook, HOOK_PHASES, type HookPhase } from './types.js';

const scriptKey = {
  'pre-backup': 'preBackupScript',
  'post-backup': 'postBackupScript',
  'pre-restore': 'preRestoreScript',
  'post-restore': 'postRestoreScript',
  verify: 'verifyScript',
} as const satisfies Record<HookPhase, keyof State>;

/** clan's name for the command that runs a state's script: `pre-backup-linkding`. */
export function hookName(phase: HookPhase, state: string): string {
  return `${phase}-${state}`;
}

/** The file content of a hook: clan's strict shell header, a provenance line, the script. */
export function hookContent(phase: HookPhase, state: string, script: string, file: string): string {
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return [
    '#!/usr/bin/env bash',
    `# ${hookName(phase, state)}: ${phase} script of state "${state}" from ${file}, installed by borgops (edits are overwritten)`,
    'set -eu -o pipefail',
    '',
    body,
  ].join('\n');
}

export function hooksOf(state: string, declared: State, file: string): DesiredHook[] {
  const hooks: DesiredHook[] = [];
  for (const phase of HOOK_PHASES) {
    const script = declared[scriptKey[phase]];
    if (script === undefined) continue;
    hooks.push({
      name: hookName(phase, state),
      state,
      phase,
      content: hookContent(phase, state, script, file),
    });
  }
  return hooks;
}

export { scriptKey };
