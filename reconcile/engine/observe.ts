import type { DesiredMachine } from '../../src/desired/types.js';
import { readLedger } from '../../src/host/ledger.js';
import type { ActualMachine } from './model.js';
import { KINDS } from './resources/index.js';
import type { ObserveContext } from './resources/kind.js';

export type { ObserveContext };

/** The actual state of every resource of the machine, as plain data: the ledger, then each kind in list order. */
export async function observe(context: ObserveContext, desired: DesiredMachine): Promise<ActualMachine> {
  const ledger = await readLedger(context.paths.ledger);
  let observed: Partial<ActualMachine> = {};
  for (const kind of KINDS) {
    if (kind.observe)
      observed = { ...observed, ...(await kind.observe({ context, desired, ledger, observed })) };
  }
  return { ...observed, ledger } as ActualMachine;
}
