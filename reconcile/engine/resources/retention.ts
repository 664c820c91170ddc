import { resourceId } from '../../../src/desired/ids.js';
import { readRuns, updateRun } from '../../../src/host/runs.js';
import { borgTarget } from '../../../src/host/targets.js';
import { sameData } from '../../../src/util/same-data.js';
import { keepSettings, keepText, keepTightened } from '../describe/settings.js';
import { pruneRefusal } from '../guards.js';
import type { BaseAction } from '../model.js';
import { destinationRetention, pruneArchives } from '../retention.js';
import { retentionSpec } from '../specs.js';
import type { KindModule, ResourceOf } from './kind.js';
import { missingPassphrase } from './secret.js';
import { repositoryVerdict } from './verdict.js';

/** A destination's retention: this machine's archives beyond the keep rules are pruned, then compacted. */

export type RetentionAction = BaseAction & {
  op: 'retention.prune';
  kind: 'retention';
  destination: string;
  archives: string[];
  kept: number;
  total: number;
};

export const retention: KindModule<RetentionAction, object, ResourceOf<'retention'>> = {
  kind: 'retention',

  planEach(destination, input, out) {
    const observed = input.actual.repositories[destination.name];
    if (observed?.state !== 'present' || repositoryVerdict(destination, input.actual) === 'blocked') return;
    if (missingPassphrase(destination, input)) return;
    const { own, plan } = destinationRetention(destination, observed.archives, input.options.now);
    if (plan.pruned.length === 0) return;
    const total = own.length;
    const kept = total - plan.pruned.length;
    const id = resourceId('retention', destination.name);
    out.actions.push({
      op: 'retention.prune',
      id,
      kind: 'retention',
      destination: destination.name,
      archives: plan.pruned,
      kept,
      total,
      effect: 'destructive',
      summary: `prune ${plan.pruned.length} of ${total} archives of ${destination.archivePrefix}* (keep ${kept}), then compact`,
    });
    const refusal = pruneRefusal(destination.name, id, plan.pruned.length, total);
    if (refusal) out.refusals.push(refusal);
  },

  async apply(action, { context, destinationOf, record }) {
    const destination = destinationOf(action.destination);
    await pruneArchives(
      context.borg,
      borgTarget(destination, context.paths),
      action.archives,
      destination.archivePrefix,
    );
    await record(action.id, { kind: 'retention', spec: retentionSpec(destination) });
    // status shows the count the last backup recorded: after this prune it is the kept count;
    // the next backup's retention predicts from the known archives, without these
    const run = (await readRuns(context.paths.runs)).destinations[destination.name];
    if (run?.archives === undefined && run?.known === undefined) return;
    const deleted = new Set(action.archives);
    await updateRun(context.paths.runs, destination.name, (previous) => ({
      ...previous,
      ...(previous?.archives === undefined ? {} : { archives: action.kept }),
      ...(previous?.known === undefined
        ? {}
        : {
            // without the fingerprint: this prune changed the repository; the next backup lists
            known: {
              listedAt: previous.known.listedAt,
              archives: previous.known.archives.filter((archive) => !deleted.has(archive.name)),
            },
          }),
    }));
  },

  settle(resource, input) {
    if (input.failedDestinations.has(resource.destination)) return;
    const spec = retentionSpec(input.destinationOf(resource.destination));
    if (input.pending(resource.id) || input.ledger.entries[resource.id]?.spec === spec) return;
    input.ledger.entries[resource.id] = { kind: 'retention', spec, appliedAt: input.stamp() };
  },

  forgetsUndeclared: true,

  preview: {
    added: (item) => ({
      summary: `prune ${item.archivePrefix}* archives on ${item.destination}: keep ${keepText(item.keep)}`,
    }),
    removed: (item) => ({
      summary: `stop pruning ${item.archivePrefix}* archives on ${item.destination} (they stay)`,
    }),
    changed(before, after) {
      if (sameData(before.keep, after.keep) && before.archivePrefix === after.archivePrefix) return undefined;
      return {
        summary: `change the retention of ${after.destination}`,
        settings: keepSettings(after.destination, before.keep, after.keep),
        destructive: keepTightened(before.keep, after.keep),
      };
    },
  },
};
