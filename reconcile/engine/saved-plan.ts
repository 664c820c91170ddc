import { z } from 'zod';
import { HOOK_PHASES } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';
import { writeJsonAtomic } from '../../src/host/atomic.js';
import { hostFsError } from '../../src/host/fs-error.js';
import { readStateFile, type StateFile, versioned } from '../../src/host/json-file.js';
import type { Action, Plan } from './model.js';

// A saved plan (`plan --out FILE`) is read back by `apply --plan FILE`, which runs its actions
// exactly: every action is checked here, so a hand-edited or foreign file is never acted on.

const FileDiff = z.object({ path: z.string(), before: z.string(), after: z.string() });
const base = {
  id: z.string(),
  effect: z.enum(['additive', 'mutating', 'destructive']),
  summary: z.string(),
};
const ScheduledJob = z.object({
  machine: z.string(),
  destination: z.string(),
  startAt: z.array(z.string()),
  staggerSeconds: z.number(),
  command: z.array(z.string()),
});

const SavedAction = z.discriminatedUnion('op', [
  z.object({ ...base, op: z.literal('ssh-key.create'), kind: z.literal('ssh-key') }),
  z.object({ ...base, op: z.literal('secret.create'), kind: z.literal('secret'), destination: z.string() }),
  z.object({
    ...base,
    op: z.literal('repository.init'),
    kind: z.literal('repository'),
    destination: z.string(),
  }),
  z.object({
    ...base,
    op: z.literal('retention.prune'),
    kind: z.literal('retention'),
    destination: z.string(),
    archives: z.array(z.string()),
    kept: z.number(),
    total: z.number(),
  }),
  z.object({
    ...base,
    op: z.literal('hook.write'),
    kind: z.literal('hook'),
    name: z.string(),
    state: z.string(),
    phase: z.enum(HOOK_PHASES),
    content: z.string(),
    diff: FileDiff,
  }),
  z.object({
    ...base,
    op: z.literal('hook.remove'),
    kind: z.literal('hook'),
    name: z.string(),
    diff: FileDiff,
  }),
  z.object({
    ...base,
    op: z.literal('schedule.install'),
    kind: z.literal('schedule'),
    job: ScheduledJob,
    diffs: z.array(FileDiff),
  }),
  z.object({
    ...base,
    op: z.literal('schedule.remove'),
    kind: z.literal('schedule'),
    destination: z.string(),
    backend: z.string(),
    diffs: z.array(FileDiff),
  }),
  z.object({
    ...base,
    op: z.literal('server-user.create'),
    kind: z.literal('server-user'),
    user: z.string(),
    home: z.string(),
  }),
  z.object({
    ...base,
    op: z.literal('served.create'),
    kind: z.literal('served-repository'),
    client: z.string(),
    path: z.string(),
    owner: z.string().optional(),
  }),
  z.object({
    ...base,
    op: z.literal('authorized-key.set'),
    kind: z.literal('authorized-key'),
    client: z.string(),
    file: z.string(),
    remove: z.array(z.string()),
    add: z.array(z.string()),
    owner: z.string().optional(),
  }),
]);

// an action added to model.ts must be added above: this fails to compile until it is
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const actionsMatch: Same<z.infer<typeof SavedAction>, Action> = true;
void actionsMatch;

const GuardName = z.enum(['large-prune', 'prune-all', 'remove-all', 'reinit']);

export const SavedPlan = versioned({
  machine: z.string(),
  commit: z.string().optional(),
  worktree: z.boolean(),
  createdAt: z.string(),
  fingerprint: z.string(),
  refresh: z.boolean(),
  scheduler: z.string(),
  actions: z.array(SavedAction),
  notes: z.array(z.string()),
  warnings: z.array(z.string()),
  errors: z.array(z.object({ id: z.string(), destination: z.string().optional(), message: z.string() })),
  refusals: z.array(z.object({ guard: GuardName, id: z.string(), message: z.string() })),
  summary: z.object({ add: z.number(), change: z.number(), destroy: z.number(), archives: z.number() }),
  borgProcesses: z.number(),
}) satisfies z.ZodType<Plan>;

const planFile: StateFile<Plan> = {
  what: 'plan',
  schema: SavedPlan,
  remedy: 'make a new one with `borgops plan --out FILE`',
};

/** `plan --out FILE`; an unwritable FILE is one line naming it. */
export async function writeSavedPlan(path: string, plan: Plan): Promise<void> {
  try {
    await writeJsonAtomic(path, plan);
  } catch (error: unknown) {
    throw hostFsError('write the plan to', path, error);
  }
}

/** The plan `apply --plan FILE` applies; a missing, unreadable or wrong-shaped FILE is E_USAGE. */
export async function readSavedPlan(path: string): Promise<Plan> {
  let saved: Plan | undefined;
  try {
    saved = await readStateFile(path, planFile);
  } catch (error: unknown) {
    // a bad --plan argument is a usage error, whatever the file system said
    if (!(error instanceof BorgopsError)) throw error;
    throw new BorgopsError('E_USAGE', error.shortMessage, { cause: error, details: error.details });
  }
  if (saved === undefined) {
    throw new BorgopsError('E_USAGE', `cannot read the plan ${path}: no such file or directory (ENOENT)`);
  }
  return saved;
}
