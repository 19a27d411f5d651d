/**
 * The clamd engine's pure parts: reading clamd's replies, parsing addresses, the signature lines
 * clamd would refuse (which would make it reject a whole database), and the generated config.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseClamdAddress,
  parseScanReply,
} from '../../src-main/server/scanner/clamd/clamd-client.js';
import {
  clamdConfigText,
  clamdSocketPath,
  clamdStreamLimit,
} from '../../src-main/server/scanner/clamd/clamd-config.js';
import { checkSignatureLine } from '../../src-main/server/scanner/clamd/clamd-database.js';

describe('clamd replies to INSTREAM', () => {
  it.each([
    ['stream: OK', { kind: 'clean' }],
    ['stream: OK\0', { kind: 'clean' }],
    ['stream: Eicar-Test-Signature FOUND', { kind: 'found', name: 'Eicar-Test-Signature' }],
    [
      'stream: Eicar-Test-Signature.UNOFFICIAL FOUND',
      { kind: 'found', name: 'Eicar-Test-Signature' },
    ],
    ['stream: Win.Trojan.Agent-1 FOUND', { kind: 'found', name: 'Win.Trojan.Agent-1' }],
    ['INSTREAM size limit exceeded. ERROR', { kind: 'limit' }],
    ['stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND', { kind: 'limit' }],
    ['stream: Heuristics.Limits.Exceeded.MaxScanSize.UNOFFICIAL FOUND', { kind: 'limit' }],
    ["stream: Can't allocate memory ERROR", { kind: 'error' }],
    ['UNKNOWN COMMAND', { kind: 'error' }],
    ['', { kind: 'error' }],
  ])('%j', (reply, expected) => {
    expect(parseScanReply(reply)).toMatchObject(expected);
  });
});

describe('clamd addresses', () => {
  it.each([
    ['/var/run/clamav/clamd.ctl', { path: '/var/run/clamav/clamd.ctl' }],
    ['127.0.0.1:3310', { host: '127.0.0.1', port: 3310 }],
    ['scanner.example.test:3310', { host: 'scanner.example.test', port: 3310 }],
    ['[::1]:3310', { host: '::1', port: 3310 }],
    ['C:\\clamav\\clamd.sock', { path: 'C:\\clamav\\clamd.sock' }],
    ['host:99999', { path: 'host:99999' }],
  ])('%s', (text, expected) => {
    expect(parseClamdAddress(text)).toEqual(expected);
  });
});

describe('signature lines clamd would refuse', () => {
  it.each([
    ['.hdb', '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature', null],
    ['.hdb', '44d88612fea8a8f36de82e1278abb02f:*:Any.Size:73', null],
    ['.hdb', '44d88612fea8a8f36de82e1278abb02f:*:Any.Size', /size \*/],
    ['.hdb', 'not-a-hash:68:Bad', /HASH:SIZE:NAME/],
    ['.hdb', '44d88612fea8a8f36de82e1278abb02f:68', /HASH:SIZE:NAME/],
    ['.hsb', `${'ab'.repeat(32)}:100:Sha.Two.Five.Six`, null],
    ['.hsb', `${'ab'.repeat(31)}:100:Short`, /HASH:SIZE:NAME/],
    ['.ndb', 'Test.Sig:0:*:deadbeef??cafe{2-4}babe', null],
    ['.ndb', 'Test.Sig:1:EP+0:deadbeef', null],
    ['.ndb', 'Test.Sig:7:EOF-16:68656c6c6f(20|09)776f726c64', null],
    ['.ndb', 'Test.Sig:0:100,20:aabb?c*dd', null],
    ['.ndb', 'Test.Sig:15:*:deadbeef', /unknown target/],
    ['.ndb', 'Test.Sig:0:somewhere:deadbeef', /unknown offset/],
    ['.ndb', 'Test.Sig:0:*:not hex', /bad hex/],
    ['.ndb', 'Test.Sig:0:*:??', /bad hex/],
    ['.ndb', ':0:*:deadbeef', /name/],
    ['.ndb', 'Test.Sig:0:*', /NAME:TARGET/],
    ['.ndb', 'Test.Sig:0:*:deadbeef:51:x', /level/],
  ])('%s %s', (extension, line, problem) => {
    const reason = checkSignatureLine(extension, line);
    if (problem === null) expect(reason).toBeNull();
    else expect(reason).toMatch(problem);
  });
});

describe('the generated clamd.conf', () => {
  const text = clamdConfigText({
    socketPath: '/data/clamd/clamd.sock',
    databaseDir: '/data/clamd/database',
    logFile: '/data/logs/clamd.log',
    pidFile: '/data/clamd/clamd.pid',
    tempDir: '/data/clamd/tmp',
    maxBytes: 100 * 1024 * 1024 + 1,
    threads: 3,
  });
  const settings = new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
  );

  it.each([
    ['LocalSocket', '/data/clamd/clamd.sock'],
    ['DatabaseDirectory', '/data/clamd/database'],
    ['LogFile', '/data/logs/clamd.log'],
    ['Foreground', 'yes'],
    ['StreamMaxLength', '101M'],
    ['MaxFileSize', '101M'],
    ['MaxScanSize', '101M'],
    ['AlertExceedsMax', 'yes'],
    ['ScanArchive', 'no'],
    ['HeuristicAlerts', 'no'],
    ['Bytecode', 'no'],
    ['MaxThreads', '3'],
  ])('%s %s', (key, value) => {
    expect(settings.get(key)).toBe(value);
  });

  it('has no TCP listener', () => {
    expect(settings.has('TCPSocket')).toBe(false);
    expect(settings.has('TCPAddr')).toBe(false);
  });

  it('counts the stream limit in whole megabytes, never below the sample limit', () => {
    expect(clamdStreamLimit(1)).toBe(1024 * 1024);
    expect(clamdStreamLimit(1024 * 1024)).toBe(1024 * 1024);
    expect(clamdStreamLimit(1024 * 1024 + 1)).toBe(2 * 1024 * 1024);
  });

  it('keeps the socket in the data folder unless the path would be too long', () => {
    expect(clamdSocketPath('/data/clamd')).toBe('/data/clamd/clamd.sock');
    const deep = path.join('/data', 'x'.repeat(120));
    const fallback = clamdSocketPath(deep);
    expect(fallback.length).toBeLessThan(100);
    expect(fallback).toBe(clamdSocketPath(deep));
    expect(fallback).not.toBe(clamdSocketPath(deep + 'y'));
  });
});
