import { repositoryKey } from '../../src/config/rules.js';
import { RESOURCE_ORDER } from '../../src/desired/compile.js';
import { resourceId } from '../../src/desired/ids.js';
import type { DesiredMachine, DesiredState } from '../../src/desired/types.js';
import { errorMessage } from '../../src/errors.js';
import { compareStrings } from '../../src/util/compare.js';
import { redactValue } from '../engine/describe/redact.js';
import { pruneRefusal, removeAllRefusal } from '../engine/guards.js';
import type { Refusal } from '../engine/model.js';
import { KINDS } from '../engine/resources/index.js';
import type { MachinePreview, PreviewKind, PrunePreview, ResourceChange } from './model.js';
import { candidates, type ObservedFleet, observedRepos } from './observed.js';
import { newestStart, ownObserved, type PruneInput, prunePreview } from './prune.js';
import { type Item, type ItemContext, itemChange, withFiles } from './resources.js';

export interface MachineContext extends Omit<ItemContext, 'machine'> {
  observed?: ObservedFleet;
  /** Evaluate retention at this instant instead of the snapshot's time (`--now`). */
  now?: Date;
}

const KIND_ORDER: readonly PreviewKind[] = ['state', ...RESOURCE_ORDER];
const KIND_RANK: ReadonlyMap<string, number> = new Map(KIND_ORDER.map((kind, rank) => [kind, rank]));

/** Each compiled state's item, made once: base and head share unchanged states (compile), and so their items. */
const stateItems = new WeakMap<DesiredState, Item>();

function stateItem(state: DesiredState): Item {
  let item = stateItems.get(state);
  if (item === undefined) {
    item = { kind: 'state', id: resourceId('state', state.name), state };
    stateItems.set(state, item);
  }
  return item;
}

function itemsOf(desired: DesiredMachine | undefined): Map<string, Item> {
  const items = new Map<string, Item>();
  if (!desired) return items;
  for (const state of desired.states) {
    const item = stateItem(state);
    items.set(item.id, item);
  }
  for (const resource of desired.resources) items.set(resource.id, resource);
  return items;
}

function orderedIds(base: Map<string, Item>, head: Map<string, Item>): string[] {
  const kinds = new Map<string, number>();
  for (const item of base.values()) kinds.set(item.id, KIND_RANK.get(item.kind) ?? -1);
  for (const item of head.values()) kinds.set(item.id, KIND_RANK.get(item.kind) ?? -1);
  return [...kinds.keys()].sort((a, b) => (kinds.get(a) ?? 0) - (kinds.get(b) ?? 0) || compareStrings(a, b));
}

interface Findings {
  prunes: PrunePreview[];
  refusals: Refusal[];
  notes: string[];
}

/** The archives each changed retention prunes, when archives were observed; marks those changes destructive. */
function previewPrunes(
  machine: string,
  changes: ResourceChange[],
  base: Map<string, Item>,
  head: Map<string, Item>,
  context: MachineContext,
  findings: Findings,
): void {
  const inputs: PruneInput[] = [];
  for (const change of changes) {
    const item = head.get(change.id);
    if (change.kind !== 'retention' || item?.kind !== 'retention') continue;
    const before = base.get(change.id);
    inputs.push({
      destination: item.destination,
      archivePrefix: item.archivePrefix,
      keep: item.keep,
      ...(before?.kind === 'retention' ? { baseKeep: before.keep } : {}),
      observed: context.observed ? candidates(context.observed, machine, item.destination) : [],
    });
  }
  const owned = inputs.map((input) => ownObserved(input.observed, input.archivePrefix));
  const at =
    context.now ?? context.observed?.observedAt.get(machine) ?? newestStart(owned.flat()) ?? undefined;
  inputs.forEach((input, index) => {
    const change = changes.find((c) => c.id === resourceId('retention', input.destination));
    const own = owned[index] ?? [];
    if (at === undefined || own.length === 0) {
      if (change?.destructive && !context.observed?.machines.includes(machine))
        findings.notes.push(
          `${input.destination}: the retention keeps less than before; pass --observed with this machine's archive list to name the archives it prunes`,
        );
      return;
    }
    let prune: PrunePreview | undefined;
    try {
      prune = prunePreview(input, own, at);
    } catch (error: unknown) {
      findings.notes.push(`${input.destination}: retention cannot be evaluated: ${errorMessage(error)}`);
      return;
    }
    if (!prune) return;
    findings.prunes.push(prune);
    if (change) change.destructive = true;
    const refusal = pruneRefusal(
      input.destination,
      resourceId('retention', input.destination),
      prune.pruned.length,
      prune.total,
    );
    if (refusal) findings.refusals.push(refusal);
  });
}

/** A destination that moves to another repository: apply initializes the new one, guarded. */
function repositoryFindings(
  machine: string,
  base: Map<string, Item>,
  head: Map<string, Item>,
  context: MachineContext,
  findings: Findings,
): void {
  for (const [id, after] of head) {
    const before = base.get(id);
    if (after.kind !== 'repository' || before?.kind !== 'repository') continue;
    const name = after.destination.name;
    const from = before.destination.repo;
    const to = after.destination.repo;
    // the same location with other credentials is the same repository (the same text is the same
    // location: no redaction needed, the common case of a fleet-wide change)
    if (from !== to && repositoryKey(redactValue(from)) !== repositoryKey(redactValue(to))) {
      const exists = context.observed
        ? observedRepos(context.observed, machine, name).some(
            (repo) => repositoryKey(repo) === repositoryKey(to),
          )
        : false;
      findings.notes.push(
        `${name}: new backups go to ${redactValue(to)}; the archives in ${redactValue(from)} stay there and are no longer pruned`,
      );
      if (!exists) {
        findings.refusals.push({
          guard: 'reinit',
          id,
          message: `${name}: borgops initialized this destination before; if ${redactValue(to)} does not exist yet, apply creates it only with --allow-reinit`,
        });
      }
    }
    if (before.destination.encryption.mode !== after.destination.encryption.mode) {
      findings.notes.push(
        `${name}: the encryption mode applies when a repository is created; an existing repository keeps its mode`,
      );
    }
  }
}

function countsOf(
  changes: readonly ResourceChange[],
  prunes: readonly PrunePreview[],
): MachinePreview['counts'] {
  return {
    additions: changes.filter((c) => c.change === 'added').length,
    changes: changes.filter((c) => c.change === 'changed').length,
    removals: changes.filter((c) => c.change === 'removed').length,
    destructive: changes.filter((c) => c.destructive).length,
    archivesPruned: prunes.reduce((sum, p) => sum + p.pruned.length, 0),
  };
}

/** The changes of kinds with no compiled resource (notification receivers), after the resources. */
function declaredChanges(
  base: DesiredMachine | undefined,
  head: DesiredMachine | undefined,
): ResourceChange[] {
  return KINDS.flatMap((kind) =>
    (kind.previewDeclarations?.(base, head) ?? []).map((declared) =>
      withFiles(
        {
          id: declared.id,
          kind: declared.kind,
          change: declared.change,
          destructive: declared.destructive ?? false,
          summary: declared.summary,
          settings: declared.settings ?? [],
        },
        declared.files,
      ),
    ),
  );
}

/** One machine between base and head (either may be absent); undefined when nothing changes. */
export function previewMachine(
  machine: string,
  baseDesired: DesiredMachine | undefined,
  headDesired: DesiredMachine | undefined,
  context: MachineContext,
): MachinePreview | undefined {
  const base = itemsOf(baseDesired);
  const head = itemsOf(headDesired);
  const changes: ResourceChange[] = [];
  const itemContext = { ...context, machine };
  for (const id of orderedIds(base, head)) {
    const change = itemChange(base.get(id), head.get(id), itemContext);
    if (change) changes.push(change);
  }
  changes.push(...declaredChanges(baseDesired, headDesired));
  if (changes.length === 0) return undefined;

  const findings: Findings = { prunes: [], refusals: [], notes: [] };
  previewPrunes(machine, changes, base, head, context, findings);
  repositoryFindings(machine, base, head, context, findings);
  const removeAll = removeAllRefusal(
    machine,
    { schedules: (baseDesired?.destinations.length ?? 0) > 0, hooks: (baseDesired?.hooks.length ?? 0) > 0 },
    { destinations: headDesired?.destinations.length ?? 0, states: headDesired?.states.length ?? 0 },
  );
  if (removeAll) findings.refusals.push(removeAll);
  if (!headDesired) {
    findings.notes.push(
      `${machine} is no longer declared: borgops on it stops with an error and changes nothing, and its jobs keep backing up with the last applied declarations until they are removed`,
    );
  }
  const known = new Set(baseDesired?.warnings ?? []);
  return {
    machine,
    status: !baseDesired ? 'added' : !headDesired ? 'removed' : 'changed',
    counts: countsOf(changes, findings.prunes),
    changes,
    prunes: findings.prunes,
    refusals: findings.refusals,
    notes: findings.notes,
    warnings: (headDesired?.warnings ?? []).filter((w) => !known.has(w)),
  };
}
