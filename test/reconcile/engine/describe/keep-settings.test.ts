import { describe, expect, it } from 'vitest';
import { keepSettings, keepText, keepTightened } from '../../../../reconcile/engine/describe/settings.js';

/* How plan and preview word retention rules, borg 1.4's quarterly ones included. */

describe('retention rules in plan and preview text', () => {
  it("lists 13weekly and 3monthly in borg's rule order, after monthly and before yearly", () => {
    expect(keepText({ yearly: 2, '13weekly': 4, within: '1d', monthly: 6 })).toBe(
      'within 1d, monthly 6, 13weekly 4, yearly 2',
    );
    expect(keepText({ '3monthly': -1, daily: 7 })).toBe('daily 7, 3monthly -1');
  });

  it('a changed quarterly count is a setting change, and a lowered or dropped one tightens', () => {
    expect(keepSettings('storagebox', { '13weekly': 8 }, { '13weekly': 4 })).toEqual([
      { subject: 'storagebox', setting: 'retention 13weekly', before: '8', after: '4' },
    ]);
    expect(keepTightened({ '13weekly': 8 }, { '13weekly': 4 })).toBe(true);
    expect(keepTightened({ '3monthly': 4 }, { '3monthly': 8 })).toBe(false);
    expect(keepTightened({ '3monthly': 4, daily: 7 }, { daily: 7 })).toBe(true);
  });
});
