import { describe, expect, it } from 'vitest';
import { FrameError } from '../../src-main/transport/connection.js';
import { encodeFrame, FrameDecoder, type DecodedFrame } from '../../src-main/transport/framing.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function feed(decoder: FrameDecoder, chunks: (string | Buffer)[]): DecodedFrame[] {
  return chunks.flatMap((c) => decoder.push(typeof c === 'string' ? bytes(c) : c));
}

describe('newline-delimited JSON framing', () => {
  it.each([
    ['one frame', ['{"a":1}\n'], [{ a: 1 }]],
    ['two frames in one chunk', ['{"a":1}\n[2]\n'], [{ a: 1 }, [2]]],
    ['a frame split over chunks', ['{"a"', ':1', '}\n'], [{ a: 1 }]],
    ['CRLF endings', ['{"a":1}\r\n'], [{ a: 1 }]],
    ['blank lines', ['\n\r\n{"a":1}\n\n'], [{ a: 1 }]],
    ['a partial frame left pending', ['{"a":1}\n{"b"'], [{ a: 1 }]],
  ])('decodes %s', (_why, chunks, values) => {
    const frames = feed(new FrameDecoder(), chunks);
    expect(frames).toEqual(values.map((value) => ({ kind: 'message', value })));
  });

  it('keeps a multi-byte character split across chunks intact', () => {
    const frame = bytes('{"name":"Zoë ☣"}\n');
    const split = frame.indexOf(0xc3) + 1; // inside the two bytes of ë
    const frames = feed(new FrameDecoder(), [frame.subarray(0, split), frame.subarray(split)]);
    expect(frames).toEqual([{ kind: 'message', value: { name: 'Zoë ☣' } }]);
  });

  it('reports invalid JSON and carries on with the next frame', () => {
    const frames = feed(new FrameDecoder(), ['not json\n{"ok":true}\n']);
    expect(frames[0]?.kind).toBe('invalid-json');
    expect(frames[1]).toEqual({ kind: 'message', value: { ok: true } });
  });

  it.each([
    ['in one chunk', ['x'.repeat(101)]],
    ['across chunks', ['x'.repeat(60), 'x'.repeat(60)]],
    ['after a good frame', ['{"a":1}\n' + 'x'.repeat(200) + '\n']],
  ])('refuses a frame over the limit %s and stops', (_why, chunks) => {
    const decoder = new FrameDecoder(100);
    const frames = feed(decoder, chunks);
    expect(frames.at(-1)).toEqual({ kind: 'too-large', limit: 100 });
    expect(decoder.push(bytes('{"a":1}\n'))).toEqual([]);
  });

  it('accepts a frame of exactly the limit', () => {
    const text = JSON.stringify('x'.repeat(98));
    expect(text).toHaveLength(100);
    expect(feed(new FrameDecoder(100), [text + '\n'])).toEqual([
      { kind: 'message', value: 'x'.repeat(98) },
    ]);
  });

  it('encodes one line per message', () => {
    expect(encodeFrame({ a: 'line\nbreak' }).toString('utf8')).toBe('{"a":"line\\nbreak"}\n');
  });

  it.each([
    ['too large', 'x'.repeat(200), 'too-large'],
    [
      'circular',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
      'unserializable',
    ],
    ['not JSON at all', undefined, 'unserializable'],
    ['a BigInt', { n: 1n }, 'unserializable'],
  ])('refuses to encode a message that is %s', (_why, message, reason) => {
    expect(() => encodeFrame(message, 100)).toThrow(FrameError);
    try {
      encodeFrame(message, 100);
    } catch (error) {
      expect((error as FrameError).reason).toBe(reason);
    }
  });
});
