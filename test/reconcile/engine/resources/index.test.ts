import { describe, expect, it } from 'vitest';
import { KINDS, kindModule } from '../../../../reconcile/engine/resources/index.js';
import { RESOURCE_ORDER } from '../../../../src/desired/compile.js';

describe('the ordered list of resource kinds', () => {
  it('has exactly one module per compiled kind, in compile order', () => {
    const owned = KINDS.flatMap((module) => (module.kind === undefined ? [] : [module.kind]));
    expect(owned).toEqual([...RESOURCE_ORDER]);
  });

  it('gives every compiled kind a way to be applied and previewed', () => {
    for (const kind of RESOURCE_ORDER) {
      const module = kindModule(kind);
      expect(module.kind).toBe(kind);
      expect(typeof module.apply).toBe('function');
      expect(typeof module.preview?.added).toBe('function');
      expect(typeof module.preview?.removed).toBe('function');
    }
  });

  it('plans destinations through one contiguous run of per-destination kinds', () => {
    // the plan interleaves a destination's secret, init and prune; a gap in the run would split that
    const each = KINDS.map((module) => module.planEach !== undefined);
    const first = each.indexOf(true);
    const last = each.lastIndexOf(true);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(each.slice(first, last + 1).every(Boolean)).toBe(true);
  });
});
