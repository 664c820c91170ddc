import type { Command } from 'commander';
import { plural } from '../../../src/util/words.js';
import { runApply } from '../../engine/converge.js';
import { renderPlanText } from '../../render/plan-text.js';
import { addConvergeOptions, allowedGuards, convergeContext, schedulerFlag } from '../context.js';
import { type Io, printJson } from '../io.js';

interface ApplyFlags {
  refresh: boolean;
  scheduler?: string;
  plan?: string;
  allowLargePrune: boolean;
  allowPruneAll: boolean;
  allowRemoveAll: boolean;
  allowReinit: boolean;
}

export function registerApply(program: Command, io: Io, setExit: (code: number) => void): void {
  addConvergeOptions(
    program
      .command('apply')
      .description(
        'converge this machine with the declarations (exit 0 done, 1 errors, 3 refused by a guard)',
      )
      .option(
        '--plan <file>',
        'apply exactly this saved plan; refused (exit 3) if the machine or declarations moved',
      )
      .option(
        '--allow-large-prune',
        "allow retention to prune more than half of a destination's archives",
        false,
      )
      .option('--allow-prune-all', 'allow retention to prune every archive of a destination', false)
      .option('--allow-remove-all', 'allow removing every state or destination of this machine', false)
      .option(
        '--allow-reinit',
        'allow initializing again a repository borgops created that has disappeared',
        false,
      ),
  ).action(async (flags: ApplyFlags, command: Command) => {
    const { options, logger, borg } = await convergeContext(command);
    const allow = allowedGuards(flags);
    const { planned, result } = await runApply({
      ...options,
      refresh: flags.refresh,
      ...schedulerFlag(flags.scheduler),
      logger,
      borg,
      allow,
      ...(flags.plan === undefined ? {} : { planFile: flags.plan }),
      // plan, then steps, then the result, as Terraform prints them
      onPlan: (plan) => {
        if (!options.json && plan.actions.length > 0)
          io.out(renderPlanText(plan, { color: io.interactive, allowed: allow }));
      },
      onAction: (action, index, total) => {
        if (!options.json) io.err(`[${index + 1}/${total}] ${action.id}: ${action.summary}\n`);
      },
    });
    if (options.json) {
      printJson(io, {
        plan: planned.plan,
        applied: result.done.map((a) => a.id),
        errors: result.errors,
        borgProcesses: result.borgProcesses,
      });
    } else {
      for (const error of result.errors) io.out(`✗ ${error.message}\n`);
      io.out(
        planned.plan.actions.length === 0 && result.errors.length === 0
          ? `Nothing to do: ${planned.desired.machine} is converged.\n`
          : `Apply ${result.errors.length === 0 ? 'complete' : 'incomplete'}: ${result.done.length} applied, ${result.errors.length} failed (${plural(planned.plan.borgProcesses + result.borgProcesses, 'borg process', 'borg processes')}).\n`,
      );
    }
    setExit(result.errors.length > 0 ? 1 : 0);
  });
}
