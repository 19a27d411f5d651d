/**
 * `cq bench console`: the console with 100,000 items (issue 5). Fills a store through its
 * repositories in one transaction (no HTTP forwards), starts `cq server` on it, then prints
 *   - `samples.list` latency (p50/p99) per sort column, first page and random pages;
 *   - time from navigation to the first rows painted in Chromium (`cq console --web`);
 *   - DOM element count while scrolling;
 *   - frame times (requestAnimationFrame deltas) during a scripted scroll.
 * Goals: query p99 < 20 ms, first rows < 1 s, < 1,000 DOM elements, frames < 16.7 ms.
 *
 * Options: --samples N (default 100000), --queries N per column (default 40),
 * --chromium PATH (default /usr/bin/chromium), --keep (leave the data folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { SAMPLE_SORT_KEYS } from '../../src-shared/api/contract.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import type { SampleStatus } from '../../src-shared/catalog/tokens.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { DATABASE_FILE, openDatabase, openStore } from '../../src-main/server/store/index.js';
import { SampleListStatements } from '../../src-main/server/store/sample-list.js';
import { ensureRendererBuilt } from '../e2e/support/build-renderer.js';
import { repoRoot, spawnServer } from './support/child-server.js';

const GOALS = { queryP99Ms: 20, firstRowsMs: 1000, domNodes: 1000, frameMs: 16.7 };

interface Options {
  samples: number;
  queries: number;
  chromium: string;
  keep: boolean;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    samples: 100_000,
    queries: 40,
    chromium: '/usr/bin/chromium',
    keep: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = (): string => {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--samples') options.samples = Number.parseInt(next(), 10);
    else if (arg === '--queries') options.queries = Number.parseInt(next(), 10);
    else if (arg === '--chromium') options.chromium = next();
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown option ${arg}`);
  }
  if (!Number.isSafeInteger(options.samples) || options.samples < 1)
    throw new Error('--samples must be ≥ 1');
  return options;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const verdict = (ok: boolean): string => (ok ? 'ok' : 'OVER GOAL');

const WORDS = [
  'invoice',
  'report',
  'setup',
  'update',
  'photo',
  'budget',
  'driver',
  'patch',
  'notes',
  'macro',
];
const EXTENSIONS = ['exe', 'doc', 'xls', 'dll', 'js', 'zip', 'scr', 'pdf'];
const VIRUSES = ['W32.Example.A', 'W97M.Sample.B', 'Trojan.Demo', 'JS.Bench.C', 'Backdoor.Test'];
/**
 * Statuses the server's engines leave alone once its definitions are installed (nothing to scan,
 * submit or deliver), so that the figures are the console's, not those of 100,000 items being
 * processed at once.
 */
const RESTING_STATUSES: readonly SampleStatus[] = [
  'held',
  'available',
  'installed',
  'notinstalled',
  'unneeded',
  'error',
  'attention',
];
const STATES = [
  'accepted',
  'importing',
  'classifying',
  'infected',
  'uninfected',
  'nodetect',
  'deferred',
];

/** Fill a new store with `count` samples spread over statuses, hosts, users, dates and viruses. */
async function fillStore(dataDir: string, count: number): Promise<number> {
  const started = performance.now();
  const store = openStore({ dataDir });
  try {
    // A few hundred distinct contents, stored for real so that start-up recovery finds them.
    const blobs: { sha: string; md5: string; size: number; stored: number }[] = [];
    for (let b = 0; b < 256; b++) {
      const content = randomBytes(512 + b);
      const sha = createHash('sha256').update(content).digest('hex');
      const temp = await store.blobs.createTemp();
      await temp.write(content);
      const { storedSize } = await temp.finish();
      await store.blobs.install(temp, sha);
      blobs.push({
        sha,
        md5: createHash('md5').update(content).digest('hex').toUpperCase(),
        size: content.length,
        stored: storedSize,
      });
    }
    await store.blobs.syncDirs();
    const now = Date.now();
    const insertAll = store.db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const blob = blobs[i % blobs.length]!;
        const host = `ws-${String(i % 1500).padStart(4, '0')}.corp.example`;
        const status = RESTING_STATUSES[(i * 7) % RESTING_STATUSES.length]!;
        const receivedAt = now - ((i * 7919) % (30 * 86_400)) * 1000;
        const attributes: Record<string, string> = {
          'X-Sample-Checksum': blob.md5,
          'X-Sample-Size': String(blob.size),
          'X-Sample-Type': 'file',
          'X-Sample-Status': status,
          'X-Sample-File': `C:\\Users\\u${i % 300}\\${WORDS[i % WORDS.length]}-${i}.${EXTENSIONS[i % EXTENSIONS.length]}`,
          'X-Platform-Host': host,
          'X-Platform-User': `user${i % 300}`,
          'X-Platform-Domain': `DOMAIN${i % 7}`,
          'X-Date-Captured': formatHttpDate(receivedAt - 60_000),
        };
        if (i % 3 === 0) attributes['X-Date-Submitted'] = formatHttpDate(receivedAt + 3_600_000);
        if (i % 4 === 0) attributes['X-Analysis-State'] = STATES[i % STATES.length]!;
        if (i % 5 === 0) attributes['X-Date-Analyzed'] = formatHttpDate(receivedAt + 7_200_000);
        if (i % 2 === 0) attributes['X-Scan-Virus-Name'] = VIRUSES[i % VIRUSES.length]!;
        if (i % 6 === 0)
          attributes['X-Signatures-Sequence'] = String(100 + (i % 900)).padStart(8, '0');
        store.blobsRepo.addRef(blob.sha, blob.size, blob.stored);
        const id = store.samples.insert({
          blobSha256: blob.sha,
          attributes,
          platformKey: host,
          receivedAt,
          skewMs: 0,
          actor: 'bench',
        });
        if (i % 97 === 0) {
          store.errors.add({
            sampleId: id,
            code: 'unavailable',
            params: ['00000042'],
            source: 'bench',
            message: 'definitions not published yet',
          });
        }
      }
    });
    insertAll();
  } finally {
    await store.committer.close();
    store.close();
  }
  return performance.now() - started;
}

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `cq console --web --socket S`: the web console attached to the running server. */
function startWebConsole(socket: string, home: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'cq.js'), 'console', '--web', '--socket', socket, '--port', '0'],
    // A home of its own, so the bench never touches the user's remembered servers.
    { env: { ...process.env, HOME: home, USERPROFILE: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (err = (err + text).slice(-8192)));
    child.stdout.on('data', (text: string) => {
      out += text;
      const match = /^web listening on (\S+)$/m.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`cq console exited with ${code}: ${err}`)));
  });
}

interface Timings {
  first: number[];
  random: number[];
}

function summarize(label: string, store: Timings, socket: Timings): boolean {
  const p99 = Math.max(percentile(socket.first, 99), percentile(socket.random, 99));
  const ok = p99 < GOALS.queryP99Ms;
  const cells = [
    percentile(store.first, 50),
    percentile(store.random, 99),
    percentile(socket.first, 50),
    percentile(socket.first, 99),
    percentile(socket.random, 50),
    percentile(socket.random, 99),
  ].map((v) => ms(v).padStart(11));
  console.log(`${label.padEnd(20)}${cells.join('')}  ${verdict(ok)}`);
  return ok;
}

/**
 * `samples.list` per sort column: the SQL alone (a read-only connection in this process, to tell
 * the store's share from the transport's) and the whole call over the server's local socket.
 */
async function measureQueries(
  dataDir: string,
  socket: string,
  total: number,
  perColumn: number,
): Promise<boolean> {
  const client = await connectControl({ socket });
  const db = openDatabase(path.join(dataDir, DATABASE_FILE), { readonly: true });
  const sql = new SampleListStatements(db);
  let allOk = true;
  try {
    // Warm the statement caches, as in a console that has been open a while.
    for (const sort of SAMPLE_SORT_KEYS) {
      sql.run({ sort, limit: 100 });
      await client.call('samples.list', { sort, limit: 100 });
    }
    console.log('\nsamples.list, 100 rows per call ("first" = offset 0, "random" = any offset):');
    console.log(
      `${'sort column'.padEnd(20)}${'SQL first'.padStart(11)}${'SQL rnd p99'.padStart(11)}${'call 1st'.padStart(11)}${'1st p99'.padStart(11)}${'call rnd'.padStart(11)}${'rnd p99'.padStart(11)}  goal: call p99 < ${GOALS.queryP99Ms} ms`,
    );
    const runBoth = async (
      label: string,
      query: {
        sort: (typeof SAMPLE_SORT_KEYS)[number];
        filter?: { text?: string; status?: string[] };
      },
    ): Promise<void> => {
      const store: Timings = { first: [], random: [] };
      const call: Timings = { first: [], random: [] };
      for (let q = 0; q < perColumn; q++) {
        const order = q % 2 === 0 ? 'asc' : 'desc';
        const offset = Math.floor(Math.random() * Math.max(1, total - 100));
        for (const [bucket, at] of [
          ['first', 0],
          ['random', offset],
        ] as const) {
          let t = performance.now();
          sql.run({ ...query, order, offset: at, limit: 100 });
          store[bucket].push(performance.now() - t);
          t = performance.now();
          await client.call('samples.list', { ...query, order, offset: at, limit: 100 });
          call[bucket].push(performance.now() - t);
        }
      }
      allOk = summarize(label, store, call) && allOk;
    };
    for (const sort of SAMPLE_SORT_KEYS) await runBoth(sort, { sort });
    await runBoth('filter: status', { sort: 'receivedOn', filter: { status: ['held'] } });
    await runBoth('filter: text', { sort: 'receivedOn', filter: { text: 'invoice' } });
  } finally {
    db.close();
    await client.close();
  }
  return allOk;
}

/** In-page probe, installed before the page's own scripts: when did the first rows paint? */
const FIRST_ROWS_PROBE = `
  (() => {
    window.__cqLongTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.__cqLongTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: true });
    } catch {}
    const check = () => {
      const cell = document.querySelector('[role="grid"] [role="row"][aria-rowindex="2"] [role="gridcell"]');
      if (cell && cell.textContent && cell.textContent !== '…') {
        // The frame after the rows are in the DOM is the one that shows them.
        requestAnimationFrame(() => { window.__cqFirstRowsAt = performance.now(); });
        return;
      }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })();
`;

/** Where the time to first rows went: the page itself, its script, then the socket and data. */
const LOAD_BREAKDOWN = `
  (() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const script = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.js'));
    return {
      html: nav ? nav.responseEnd : NaN,
      script: script ? script.responseEnd : NaN,
      domContentLoaded: nav ? nav.domContentLoadedEventEnd : NaN,
      firstRows: window.__cqFirstRowsAt,
    };
  })()
`;

/** Scripted scroll: rows per frame, frames; returns frame deltas and element counts. */
const SCROLL_SCRIPT = `
  (async ({ rowsPerFrame, frames }) => {
    const grid = document.querySelector('[role="grid"]');
    const rowHeight = 22;
    const deltas = [];
    const nodes = [];
    window.__cqLongTasks.length = 0;
    let last = await new Promise((r) => requestAnimationFrame(r));
    for (let f = 0; f < frames; f++) {
      if (f === Math.floor(frames / 2)) grid.scrollTop = grid.scrollHeight; // jump to the end
      else if (f === Math.floor((frames * 3) / 4)) grid.scrollTop = 0; // and back to the top
      else grid.scrollTop += rowsPerFrame * rowHeight;
      const now = await new Promise((r) => requestAnimationFrame(r));
      deltas.push(now - last);
      last = now;
      if (f % 10 === 0) nodes.push(document.getElementsByTagName('*').length);
    }
    return {
      deltas,
      nodes,
      rowsInDom: grid.querySelectorAll('[role="row"]').length,
      longTasks: window.__cqLongTasks.slice(),
    };
  })
`;

async function measureBrowser(url: string, chromiumPath: string, total: number): Promise<boolean> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  let allOk = true;
  try {
    const firstRuns: number[] = [];
    let breakdown: Record<string, number> = {};
    for (let run = 0; run < 3; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.addInitScript(FIRST_ROWS_PROBE);
      await page.goto(url);
      // A function, not a string: the page's CSP forbids eval, which string predicates need.
      await page.waitForFunction(
        () => (globalThis as { __cqFirstRowsAt?: number }).__cqFirstRowsAt !== undefined,
        undefined,
        { timeout: 30_000 },
      );
      breakdown = await page.evaluate<Record<string, number>>(LOAD_BREAKDOWN);
      firstRuns.push(breakdown.firstRows ?? Number.NaN);
      if (run < 2) {
        await context.close();
        continue;
      }
      const rowCount = await page.evaluate<number>(
        'Number(document.querySelector(\'[role="grid"]\').getAttribute("aria-rowcount")) - 1',
      );
      const scroll = await page.evaluate<{
        deltas: number[];
        nodes: number[];
        rowsInDom: number;
        longTasks: number[];
      }>(`${SCROLL_SCRIPT}({ rowsPerFrame: 40, frames: 240 })`);
      // Frame 0 waits for the first scroll's layout; the jump frames fetch new pages.
      const deltas = scroll.deltas.slice(1);
      const maxNodes = Math.max(...scroll.nodes);
      console.log(
        `\nChromium, 1280×800, list of ${rowCount.toLocaleString()} items (store holds ${total.toLocaleString()}):`,
      );
      const first = percentile(firstRuns, 50);
      const firstOk = first < GOALS.firstRowsMs;
      console.log(
        `  navigation → first rows painted: median ${ms(first)} of ${firstRuns.length} loads (${firstRuns.map((v) => v.toFixed(0)).join(', ')} ms)  goal < ${GOALS.firstRowsMs} ms  ${verdict(firstOk)}`,
      );
      console.log(
        `    last load: HTML ${ms(breakdown.html ?? Number.NaN)}, script ${ms(breakdown.script ?? Number.NaN)}, DOM ready ${ms(breakdown.domContentLoaded ?? Number.NaN)}, rows ${ms(breakdown.firstRows ?? Number.NaN)}`,
      );
      const nodesOk = maxNodes < GOALS.domNodes;
      console.log(
        `  DOM elements while scrolling: max ${maxNodes}, min ${Math.min(...scroll.nodes)} (${scroll.rowsInDom} rows in the DOM)  goal < ${GOALS.domNodes}  ${verdict(nodesOk)}`,
      );
      // At 60 Hz a frame is due every 16.7 ms; deltas jitter around that. A delta above 1.25 frames
      // means at least one frame was missed.
      const late = GOALS.frameMs * 1.25;
      const missed = deltas.filter((d) => d > late).length;
      const framesOk = percentile(deltas, 95) <= late;
      console.log(
        `  frame times over ${deltas.length} scrolled frames (40 rows/frame, one jump to the end and back): p50 ${ms(percentile(deltas, 50))}, p95 ${ms(percentile(deltas, 95))}, p99 ${ms(percentile(deltas, 99))}, max ${ms(Math.max(...deltas))}; missed frames (> ${late.toFixed(1)} ms): ${missed}; long tasks (> 50 ms): ${scroll.longTasks.length}  goal: frames within 16.7 ms  ${verdict(framesOk)}`,
      );
      allOk = firstOk && nodesOk && framesOk;
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return allOk;
}

/** Run the console benchmark. */
export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  if (!fs.existsSync(options.chromium))
    throw new Error(`no Chromium at ${options.chromium} (apt-get install chromium)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-console-'));
  const dataDir = path.join(work, 'data');
  const children: ChildProcess[] = [];
  try {
    console.log(`console bench: ${options.samples.toLocaleString()} items, data in ${work}`);
    await ensureRendererBuilt();
    // A first start installs the server's starter definitions (whose activation rescans what
    // they may resolve); filling after it keeps that sweep out of the measurements.
    const config = {
      customerInformation: {
        company: 'Bench Corp',
        account: '1',
        contactName: 'Bench',
        telephone: '1',
        email: 'bench@example.test',
      },
      // No automatic submission and no per-item "too long in this status" alerts for a store
      // full of old items.
      samplePolicy: { automaticSubmission: false },
      alerting: { enabled: false },
      general: { consoleAutoRefreshSeconds: 0 },
    };
    const first = await spawnServer({ dataDir, config, startTimeoutMs: 120_000 });
    await first.kill('SIGTERM');
    const fillMs = await fillStore(dataDir, options.samples);
    console.log(
      `filled the store in ${(fillMs / 1000).toFixed(1)} s (${Math.round(options.samples / (fillMs / 1000)).toLocaleString()} items/s)`,
    );

    const server = await spawnServer({ dataDir, config, startTimeoutMs: 120_000 });
    children.push(server.process);
    const socket = path.join(dataDir, 'control.sock');
    const queriesOk = await measureQueries(dataDir, socket, options.samples, options.queries);

    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    const web = await startWebConsole(socket, home);
    children.push(web.child);
    const browserOk = await measureBrowser(web.url, options.chromium, options.samples);
    console.log(`\n${queriesOk && browserOk ? 'all goals met' : 'some goals missed (see above)'}`);
  } finally {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
    if (!options.keep) fs.rmSync(work, { recursive: true, force: true });
  }
}
