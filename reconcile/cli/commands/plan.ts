import type { Command } from 'commander';
import { makePlan } from '../../engine/converge.js';
import type { Plan } from '../../engine/model.js';
import { writeSavedPlan } from '../../engine/saved-plan.js';
import { renderPlanText } from '../../render/plan-text.js';
import { addConvergeOptions, convergeContext, schedulerFlag } from '../context.js';
import { type Io, printJson } from '../io.js';

/** 0 converged, 2 changes pending, 3 a guard would refuse them, 1 something could not be observed. */
export function planExitCode(plan: Plan): number {
  if (plan.errors.length > 0) return 1;
  if (plan.refusals.length > 0) return 3;
  return plan.actions.length > 0 || (plan.settings?.length ?? 0) > 0 ? 2 : 0;
}

export function registerPlan(program: Command, io: Io, setExit: (code: number) => void): void {
  addConvergeOptions(
    program
      .command('plan')
      .description('show what apply would change on this machine (exit 0 converged, 2 changes pending)')
      .option('--out <file>', 'save the plan for `borgops apply --plan FILE`'),
  ).action(async (flags: { refresh: boolean; scheduler?: string; out?: string }, command: Command) => {
    const { options, logger, borg } = await convergeContext(command);
    const planned = await makePlan({
      ...options,
      refresh: flags.refresh,
      ...schedulerFlag(flags.scheduler),
      logger,
      borg,
    });
    if (flags.out !== undefined) await writeSavedPlan(flags.out, planned.plan);
    if (options.json) printJson(io, planned.plan);
    else io.out(renderPlanText(planned.plan, { color: io.interactive }));
    if (flags.out !== undefined && !options.json)
      io.out(`Saved the plan to ${flags.out}; apply it with \`borgops apply --plan ${flags.out}\`.\n`);
    setExit(planExitCode(planned.plan));
  });
}
