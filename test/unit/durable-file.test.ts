/** Durable file writes on a real temp folder. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFileDurably, writeSynced } from '../../src-main/fs/durable-file.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-durable-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('durable files', () => {
  it('writeSynced writes every byte, owner-only by default', () => {
    const file = path.join(dir, 'a');
    const bytes = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    writeSynced(file, bytes);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("writeSynced with 'wx' refuses an existing file and leaves it as it was", () => {
    const file = path.join(dir, 'a');
    fs.writeFileSync(file, 'first');
    expect(() => writeSynced(file, 'second', { flag: 'wx' })).toThrow(/EEXIST/);
    expect(fs.readFileSync(file, 'utf8')).toBe('first');
  });

  it('replaceFileDurably replaces the content and leaves no temporary file', () => {
    const file = path.join(dir, 'key.pem');
    replaceFileDurably(file, 'old');
    replaceFileDurably(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['key.pem']);
  });

  it('replaceFileDurably that cannot rename removes its temporary file and keeps what was there', () => {
    // A folder of that name: the temp file is written, the rename over a folder fails.
    const file = path.join(dir, 'key.pem');
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'inside'), 'kept');
    expect(() => replaceFileDurably(file, 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(fs.readdirSync(dir)).toEqual(['key.pem']);
    expect(fs.readFileSync(path.join(file, 'inside'), 'utf8')).toBe('kept');
  });

  it('replaceFileDurably into a missing folder fails and creates nothing', () => {
    const file = path.join(dir, 'missing', 'key.pem');
    expect(() => replaceFileDurably(file, 'x')).toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
