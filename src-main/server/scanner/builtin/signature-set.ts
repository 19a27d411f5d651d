/**
 * Loading an installed definitions folder for the builtin engine: `.hdb`, `.hsb` and `.ndb`
 * lines become signatures; every line it cannot use (`.ldb` and `.yar` content, unsupported
 * targets, offsets or pattern forms, malformed lines) is reported by file and name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPAIR_FILE } from '../../../../src-shared/definitions/manifest.js';
import { parseRepairRecipes } from '../../../../src-shared/definitions/repair-recipes.js';
import type { RepairRecipe } from '../engine.js';
import type { AutomatonOptions } from './automaton.js';
import { buildBodyDatabase, type BodyDatabase } from './body-database.js';
import { BUILTIN_FLEVEL, compileNdbLine, type BodySignature } from './body-signature.js';
import { DIGEST_BYTES, HashIndex, type HashAlgorithm, type HashSignature } from './hash-index.js';

/** A signature line the engine cannot use. */
export interface UnusableLine {
  readonly file: string;
  readonly name: string;
  readonly reason: string;
}

/** Everything the engine needs from one set. */
export interface LoadedSet {
  readonly hashes: HashIndex;
  readonly body: BodyDatabase;
  readonly repairs: ReadonlyMap<string, RepairRecipe>;
  /** Usable signatures (hash and body). */
  readonly signatures: number;
  readonly unusable: readonly UnusableLine[];
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** Parse one `.hdb`/`.hsb` line (`hash:size:name[:min_flevel[:max_flevel]]`). */
export function parseHashLine(
  line: string,
  extension: 'hdb' | 'hsb',
): HashSignature | { readonly name: string; readonly reason: string } {
  const fields = line.split(':');
  const name = fields[2] || '(unnamed)';
  if (fields.length < 3 || fields.length > 5) {
    return { name: fields[0] || name, reason: 'expected hash:size:name[:min_flevel[:max_flevel]]' };
  }
  const [hex = '', sizeField = ''] = fields;
  let algorithm: HashAlgorithm | undefined;
  if (extension === 'hdb') algorithm = hex.length === 32 ? 'md5' : undefined;
  else algorithm = hex.length === 40 ? 'sha1' : hex.length === 64 ? 'sha256' : undefined;
  if (!algorithm || !/^[0-9a-fA-F]+$/.test(hex)) {
    return {
      name,
      reason: `"${hex}" is not a ${extension === 'hdb' ? 'MD5' : 'SHA-1/SHA-256'} in hex`,
    };
  }
  if (!/^\S+$/.test(fields[2] ?? ''))
    return { name, reason: 'signature name is empty or has spaces' };
  if (sizeField !== '*' && !/^\d+$/.test(sizeField)) {
    return { name, reason: `size ${JSON.stringify(sizeField)} is not a number or *` };
  }
  const [min, max] = fields.slice(3);
  if ((min && !/^\d+$/.test(min)) || (max && !/^\d+$/.test(max))) {
    return { name, reason: 'functionality levels must be numbers' };
  }
  if (min && Number(min) > BUILTIN_FLEVEL)
    return { name, reason: `needs functionality level ${min}` };
  if (max && Number(max) < BUILTIN_FLEVEL) {
    return { name, reason: `only for functionality levels up to ${max}` };
  }
  const digest = Buffer.from(hex, 'hex');
  if (digest.length !== DIGEST_BYTES[algorithm])
    return { name, reason: 'digest has the wrong length' };
  return { algorithm, digest, size: sizeField === '*' ? null : Number(sizeField), name };
}

/** Rule names of a YARA file, for reporting them as unusable. */
function yaraRuleNames(text: string): string[] {
  return [...text.matchAll(/^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map(
    (m) => m[1]!,
  );
}

/** Load the signature files of `dir`. Rejects when the folder or a file cannot be read. */
export async function loadSignatureSet(
  dir: string,
  options: AutomatonOptions = {},
): Promise<LoadedSet> {
  const names = (await fs.promises.readdir(dir)).sort();
  const hashes: HashSignature[] = [];
  const bodies: BodySignature[] = [];
  const unusable: UnusableLine[] = [];
  let repairs = new Map<string, RepairRecipe>();
  for (const file of names) {
    const extension = path.extname(file).slice(1).toLowerCase();
    const full = path.join(dir, file);
    if (file === REPAIR_FILE) {
      let json: unknown;
      try {
        json = JSON.parse(await fs.promises.readFile(full, 'utf8'));
      } catch (error) {
        if (error instanceof SyntaxError) throw new Error(`${REPAIR_FILE} in ${dir} is not JSON`);
        throw error;
      }
      const parsed = parseRepairRecipes(json);
      if (!parsed.ok) throw new Error(`${REPAIR_FILE} in ${dir} is not valid: ${parsed.reason}`);
      repairs = new Map(Object.entries(parsed.recipes));
      continue;
    }
    if (!['hdb', 'hsb', 'ndb', 'ldb', 'yar', 'yara'].includes(extension)) continue;
    const text = await fs.promises.readFile(full, 'latin1');
    if (extension === 'ldb') {
      for (const line of lines(text)) {
        unusable.push({
          file,
          name: line.split(';')[0] || '(unnamed)',
          reason: 'logical signatures are used only by the clamd engine',
        });
      }
    } else if (extension === 'yar' || extension === 'yara') {
      const rules = yaraRuleNames(text);
      for (const name of rules.length > 0 ? rules : ['(file)']) {
        unusable.push({ file, name, reason: 'YARA rules are used only by the clamd engine' });
      }
    } else if (extension === 'ndb') {
      for (const line of lines(text)) {
        const result = compileNdbLine(line, bodies.length);
        if (result.ok) bodies.push(result.signature);
        else unusable.push({ file, name: result.name, reason: result.reason });
      }
    } else {
      for (const line of lines(text)) {
        const result = parseHashLine(line, extension as 'hdb' | 'hsb');
        if ('algorithm' in result) hashes.push(result);
        else unusable.push({ file, name: result.name, reason: result.reason });
      }
    }
  }
  const index = new HashIndex(hashes);
  return {
    hashes: index,
    body: buildBodyDatabase(bodies, options),
    repairs,
    signatures: hashes.length + bodies.length,
    unusable,
  };
}
