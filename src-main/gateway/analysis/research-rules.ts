/**
 * The gateway's research rules (SPEC §7, §13): ClamAV-format signature files (`.hdb`, `.hsb`,
 * `.ndb`) in the folder given with `--research-rules`, loaded with a scan engine. What a hit
 * means depends on the file's name:
 * - `defer*.{hdb,hsb,ndb}`: automation cannot decide such samples; they are deferred for an expert.
 * - `unsubmittable*.{hdb,hsb,ndb}`: known malware (worms, Trojans) that analysis does not
 *   repair; the sample ends `unsubmittable` with the rule's name as virus name.
 * - any other file: a new threat; the rule's name becomes the virus name and a signature set
 *   is generated for it.
 * An optional `repair.json` beside the rules (the package format of SPEC §4.4) gives a threat
 * rule a repair recipe that the generated set carries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPAIR_FILE } from '../../../src-shared/definitions/manifest.js';
import {
  parseRepairRecipes,
  type RepairRecipes,
} from '../../../src-shared/definitions/repair-recipes.js';
import { createLogger } from '../../log/logger.js';
import type { ScanEngine } from '../../server/scanner/engine.js';
import type { Finding, RuleCategory } from '../model.js';
import { scanBytes } from './scan-bytes.js';

const log = createLogger('gateway-research');

/** Signature file types research rules may use. */
const RULE_EXTENSIONS = new Set(['.hdb', '.hsb', '.ndb']);

/** The order rule groups are consulted in: known malware, then new threats, then deferral. */
const CATEGORY_ORDER: readonly RuleCategory[] = ['unsubmittable', 'threat', 'defer'];

/** Rule folders that cannot be used; the message says which file and line. */
export class ResearchRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResearchRulesError';
  }
}

/** The category of a rule file, from its name. */
export function categoryOf(fileName: string): RuleCategory {
  const lower = fileName.toLowerCase();
  if (lower.startsWith('defer')) return 'defer';
  if (lower.startsWith('unsubmittable')) return 'unsubmittable';
  return 'threat';
}

interface Rule {
  readonly category: RuleCategory;
  readonly kind: 'hash' | 'body';
  readonly line: string;
  readonly file: string;
}

/** The signature name a ClamAV line declares, or null for a blank or comment line. */
export function ruleNameOf(extension: string, line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const fields = trimmed.split(':');
  const name = extension === '.ndb' ? fields[0] : fields[2];
  return name === undefined || name === '' ? null : name;
}

/** Loaded research rules: one engine per category that has rules. */
export class ResearchRules {
  private constructor(
    private readonly engines: ReadonlyMap<RuleCategory, ScanEngine>,
    private readonly rules: ReadonlyMap<string, Rule>,
    private readonly recipes: RepairRecipes,
  ) {}

  /** Rules by name (for reports and tests). */
  get size(): number {
    return this.rules.size;
  }

  /**
   * Read the rules of `sourceDir` (none when undefined), copy each category into its own
   * folder under `workDir`, and load it with an engine from `createEngine`.
   */
  static async load(
    sourceDir: string | undefined,
    workDir: string,
    createEngine: () => ScanEngine,
  ): Promise<ResearchRules> {
    const rules = new Map<string, Rule>();
    let recipes: RepairRecipes = {};
    const byCategory = new Map<RuleCategory, Map<string, Buffer>>();
    if (sourceDir !== undefined) {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(sourceDir, { withFileTypes: true });
      } catch (error) {
        throw new ResearchRulesError(
          `cannot read research rules ${sourceDir}: ${(error as Error).message}`,
        );
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (!entry.isFile()) continue;
        const file = path.join(sourceDir, entry.name);
        if (entry.name === REPAIR_FILE) {
          recipes = readRecipes(file);
          continue;
        }
        const extension = path.extname(entry.name).toLowerCase();
        if (!RULE_EXTENSIONS.has(extension)) continue;
        const category = categoryOf(entry.name);
        const content = fs.readFileSync(file);
        content
          .toString('utf8')
          .split(/\r?\n/)
          .forEach((line, index) => {
            const name = ruleNameOf(extension, line);
            if (name === null) return;
            const seen = rules.get(name);
            if (seen !== undefined && seen.category !== category) {
              throw new ResearchRulesError(
                `${entry.name}:${index + 1}: rule ${name} is also a ${seen.category} rule in ${seen.file}`,
              );
            }
            rules.set(name, {
              category,
              kind: extension === '.ndb' ? 'body' : 'hash',
              line: line.trim(),
              file: entry.name,
            });
          });
        const files = byCategory.get(category) ?? new Map<string, Buffer>();
        files.set(entry.name, content);
        byCategory.set(category, files);
      }
    }
    const engines = new Map<RuleCategory, ScanEngine>();
    fs.rmSync(workDir, { recursive: true, force: true });
    try {
      for (const [category, files] of byCategory) {
        const dir = path.join(workDir, category);
        fs.mkdirSync(dir, { recursive: true });
        for (const [name, content] of files) fs.writeFileSync(path.join(dir, name), content);
        const engine = createEngine();
        engines.set(category, engine);
        const report = await engine.load({
          sequence: 1,
          version: '2000.01.01.001',
          certified: false,
          dir,
          name: `research-${category}`,
        });
        const bad = report.unusable[0];
        if (bad !== undefined) {
          throw new ResearchRulesError(
            `research rule ${bad.name} in ${bad.file} cannot be used: ${bad.reason}` +
              (report.unusable.length > 1 ? ` (and ${report.unusable.length - 1} more)` : ''),
          );
        }
      }
    } catch (error) {
      for (const engine of engines.values()) await engine.close();
      throw error;
    }
    log.info('research rules loaded', { rules: rules.size, categories: [...engines.keys()] });
    return new ResearchRules(engines, rules, recipes);
  }

  /** The first rule that matches `bytes` (known malware, then new threats, then deferral). */
  async match(bytes: Buffer): Promise<Finding | null> {
    for (const category of CATEGORY_ORDER) {
      const engine = this.engines.get(category);
      if (engine === undefined) continue;
      const verdict = await scanBytes(engine, bytes);
      if (verdict.notScanned !== null) {
        throw new Error(`research rules (${category}) could not scan: ${verdict.notScanned}`);
      }
      if (verdict.virusName === null) continue;
      const rule = this.rules.get(verdict.virusName);
      const recipe = this.recipes[verdict.virusName];
      return {
        category,
        rule: verdict.virusName,
        kind: rule?.kind ?? 'hash',
        line: rule?.kind === 'body' ? rule.line : null,
        repair: recipe ? { action: recipe.action } : null,
      };
    }
    return null;
  }

  /** Release the engines. */
  async close(): Promise<void> {
    for (const engine of this.engines.values()) await engine.close();
  }
}

function readRecipes(file: string): RepairRecipes {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ResearchRulesError(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = parseRepairRecipes(json);
  if (!parsed.ok) throw new ResearchRulesError(`${file}: ${parsed.reason}`);
  return parsed.recipes;
}
