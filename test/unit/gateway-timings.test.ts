/** Stage timings of the gateway pipeline (SPEC §7: configurable so tests run in seconds). */
import { describe, expect, it } from 'vitest';
import {
  TIMED_STAGES,
  TIMING_PRESETS,
  TimingsError,
  parseTimings,
  resolveTimings,
} from '../../src-main/gateway/timings.js';

describe('timings', () => {
  it('every timed stage has a duration in both presets, fast ones far shorter', () => {
    for (const stage of TIMED_STAGES) {
      expect(TIMING_PRESETS.fast.stageMs[stage]).toBeLessThan(TIMING_PRESETS.normal.stageMs[stage]);
    }
    const newThreatPath = [
      'accepted',
      'importing',
      'imported',
      'classifying',
      'binary',
      'binaryControlling',
      'binaryReplicating',
      'binaryScoring',
      'signatures',
      'locking',
      'incrBuilding',
      'incrUnitTesting',
      'unlocking',
    ] as const;
    const total = newThreatPath.reduce((ms, stage) => ms + TIMING_PRESETS.fast.stageMs[stage], 0);
    expect(total).toBeLessThanOrEqual(1000);
  });

  it('names resolve to presets', () => {
    expect(resolveTimings('fast')).toBe(TIMING_PRESETS.fast);
    expect(resolveTimings('normal')).toBe(TIMING_PRESETS.normal);
  });

  it('a file starts from its base and overrides stages and the poll interval, in seconds', () => {
    const t = parseTimings(
      JSON.stringify({ base: 'fast', stages: { binaryReplicating: 2.5 }, pollSeconds: 0.25 }),
      't.json',
    );
    expect(t.stageMs.binaryReplicating).toBe(2500);
    expect(t.stageMs.accepted).toBe(TIMING_PRESETS.fast.stageMs.accepted);
    expect(t.pollMs).toBe(250);
    expect(parseTimings('{}', 't.json').stageMs.incrBuilding).toBe(
      TIMING_PRESETS.normal.stageMs.incrBuilding,
    );
  });

  it.each([
    ['not JSON', 'fast?', /t\.json: not JSON/],
    ['an unknown stage', JSON.stringify({ stages: { replicating: 1 } }), /stages\.replicating: /],
    [
      'a negative duration',
      JSON.stringify({ stages: { importing: -1 } }),
      /stages\.importing: must be at least 0/,
    ],
    ['an unknown base', JSON.stringify({ base: 'slow' }), /base: must be 'fast' or 'normal'/],
    ['an unknown key', JSON.stringify({ speed: 1 }), /speed: unknown setting/],
  ])('refuses %s', (_label, text, reason) => {
    expect(() => parseTimings(text, 't.json')).toThrow(TimingsError);
    expect(() => parseTimings(text, 't.json')).toThrow(reason);
  });

  it('an unreadable file is refused naming the choices', () => {
    expect(() => resolveTimings('/nonexistent/timings.json')).toThrow(
      /fast, normal or a JSON file/,
    );
  });
});
