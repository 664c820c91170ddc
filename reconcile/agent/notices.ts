import type { ResolvedReceiver } from '../../src/config/notify.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { Logger } from '../../src/log.js';
import { logTail } from '../../src/notify/log-tail.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import { appliedMachine } from '../operations/applied-machine.js';
import { countingNotifier } from '../operations/backup-notify.js';
import { overdueMessages } from '../operations/notify-overdue.js';

/** The agent's own events: a commit it would not apply (`stalled`), and the return to Ready. */
export interface AgentNotices {
  /** The receivers of the last applied declarations hear it (the refused commit's are not trusted). */
  stalled(commit: string, reason: string, problems: readonly string[]): void;
  /** The receivers of the declarations just applied hear it. */
  ready(commit: string, receivers: readonly ResolvedReceiver[]): void;
  /**
   * What is overdue on this machine, by the applied declarations' receivers: a backup with no
   * success within maxAge, a scheduled check or drill. Each spell once (overdue-notices.json).
   */
  overdue(): void;
  /** Resolves when what was sent is settled (each receiver bounded by its timeout). */
  idle(): Promise<void>;
}

const REASONS: Readonly<Record<string, string>> = {
  InvalidDeclarations: 'invalid',
  UnverifiedCommit: 'unsigned',
  RefusedByGuard: 'refused by a guard',
};

export function agentNotices(options: {
  paths: HostPaths;
  machine: string;
  logger: Logger;
  retryDelaysMs?: readonly number[];
}): AgentNotices {
  const { paths, machine, logger } = options;
  // one at a time, so a receiver hears the stall before the return to Ready
  let queue = Promise.resolve();
  const post = (receivers: () => Promise<readonly ResolvedReceiver[]>, message: NotifyMessage) => {
    queue = queue
      .then(async () => {
        const notifier = countingNotifier(paths, await receivers(), logger, options.retryDelaysMs);
        notifier.send(message);
        await notifier.settle();
      })
      .catch((error: unknown) => logger.warn({ err: String(error) }, 'agent notification not sent'));
  };
  return {
    stalled(commit, reason, problems) {
      const why = REASONS[reason] ?? reason;
      post(
        async () => {
          try {
            return (await appliedMachine(paths, machine)).desired.receivers;
          } catch {
            // nothing applied yet (or no longer loadable): no receiver is known
            return [];
          }
        },
        {
          event: 'stalled',
          result: 'stalled',
          machine,
          failure: why,
          commit,
          warnings: [],
          summary: `${machine}: commit ${commit.slice(0, 12)} not applied (${why}); the last applied declarations stay in force`,
          log: logTail(`${problems.join('\n')}\n`),
          at: new Date().toISOString(),
        },
      );
    },
    ready(commit, receivers) {
      post(async () => receivers, {
        event: 'ready',
        result: 'ready',
        machine,
        commit,
        warnings: [],
        summary: `${machine}: Ready again: commit ${commit.slice(0, 12)} applied`,
        log: '',
        at: new Date().toISOString(),
      });
    },
    overdue() {
      queue = queue
        .then(async () => {
          // nothing applied yet (or no longer loadable): no receiver is known, no clock runs
          const applied = await appliedMachine(paths, machine).catch(() => undefined);
          if (applied === undefined) return;
          const { desired } = applied;
          const messages = await overdueMessages(paths, desired, desired.destinations, new Date(), {
            backups: true,
          });
          if (messages.length === 0) return;
          const notifier = countingNotifier(paths, desired.receivers, logger, options.retryDelaysMs);
          for (const message of messages) notifier.send(message);
          await notifier.settle();
        })
        .catch((error: unknown) => logger.warn({ err: String(error) }, 'cannot tell what is overdue'));
    },
    idle: () => queue,
  };
}
