/**
 * Defcast's alert conditions (SPEC §8): reported to the alert engine when they start, again only
 * when their message changes, cleared when they end; a late-connected engine gets what holds.
 */
import { describe, expect, it } from 'vitest';
import type { AlertEventId } from '../../src-shared/catalog/events.js';
import { ConditionSet } from '../../src-main/server/defcast/condition-set.js';

function recorder() {
  const calls: [AlertEventId, boolean, string, number | null][] = [];
  return {
    calls,
    setCondition: (
      event: AlertEventId,
      active: boolean,
      message: string,
      sampleId?: number | null,
    ) => calls.push([event, active, message, sampleId ?? null]),
    notify: () => undefined,
  };
}

describe('Defcast alert conditions', () => {
  it('raises once, re-reports a changed message, clears when the condition ends', () => {
    const alerts = recorder();
    const set = new ConditionSet(alerts);
    set.hold('cannotInstallDefinitions', 'offer http://q/definitions/7', 12);
    set.hold('defcastError', 'cannot reach ws-1');
    set.commit();
    set.hold('cannotInstallDefinitions', 'offer http://q/definitions/7', 12);
    set.hold('defcastError', 'cannot reach ws-1 and ws-2');
    set.commit();
    set.commit();
    expect(alerts.calls).toEqual([
      ['cannotInstallDefinitions', true, 'offer http://q/definitions/7', 12],
      ['defcastError', true, 'cannot reach ws-1', null],
      ['defcastError', true, 'cannot reach ws-1 and ws-2', null],
      ['cannotInstallDefinitions', false, 'offer http://q/definitions/7', 12],
      ['defcastError', false, 'cannot reach ws-1 and ws-2', null],
    ]);
    expect(set.snapshot()).toEqual([]);
  });

  it('tells an engine connected later what already holds', () => {
    const set = new ConditionSet(undefined);
    set.hold('sampleDefinitionsInstallFailed', 'ws-3 never came back', 40);
    set.commit();
    const alerts = recorder();
    set.connect(alerts);
    expect(alerts.calls).toEqual([
      ['sampleDefinitionsInstallFailed', true, 'ws-3 never came back', 40],
    ]);
    set.commit();
    expect(alerts.calls.at(-1)).toEqual([
      'sampleDefinitionsInstallFailed',
      false,
      'ws-3 never came back',
      40,
    ]);
  });
});
