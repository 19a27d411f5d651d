/**
 * End-to-end harness: `cq console --web` as a child process with an embedded server in a temp
 * data folder, Debian's Chromium through playwright-core, and helpers to forward samples and
 * call the server the way an administrator's scripts would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCq, startCq, type CqProcess } from '../../helpers/cli.js';
import { REPO_ROOT, ensureRendererBuilt } from './build-renderer.js';

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts');

/** Chromium as the tests run it. */
export const CHROMIUM_PATH = process.env.CQ_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, headless, offline Chromium. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Start Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A running `cq console --web`. */
export interface ConsoleProcess {
  readonly process: CqProcess;
  /** The URL it printed, token included. */
  readonly url: string;
  /** Intake `host:port` of its embedded server. */
  readonly intake: string;
  /** Control socket of its embedded server. */
  readonly socket: string;
  readonly dataDir: string;
  stop(): Promise<number | null>;
}

/** Start the web console with an embedded server on `dataDir`. */
export async function startConsole(
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<ConsoleProcess> {
  const proc = await startCq(
    ['console', '--web', '--data-dir', dataDir, '--intake-port', '0', '--no-control', ...extraArgs],
    ['web', 'intake', 'control'],
  );
  const url = proc.listening.get('web')?.[0] ?? '';
  const intake = proc.listening.get('intake')?.[0] ?? '';
  const socket = proc.listening.get('control')?.[0] ?? '';
  return { process: proc, url, intake, socket, dataDir, stop: () => proc.stop() };
}

/** The customer information the end-to-end servers are set up with. */
export const EXAMPLE_CUSTOMER = {
  company: 'Example Corp',
  account: '12345',
  contactName: 'Alex Admin',
  telephone: '+1 555 0100',
  email: 'alex@example.test',
} as const;

/** Set a server up without the wizard (customer information filled in). */
export async function setUpServer(socket: string): Promise<void> {
  const result = await runCq([
    'ctl',
    '--socket',
    socket,
    'server.setup',
    JSON.stringify({
      setupType: 'internet',
      patch: {
        customerInformation: EXAMPLE_CUSTOMER,
      },
    }),
  ]);
  if (result.code !== 0) throw new Error(`server.setup failed: ${result.stderr}`);
}

/** Forward `content` as a file named `name` from `host`; resolves with the sample id. */
export async function forwardFile(
  intake: string,
  dir: string,
  name: string,
  content: string,
  host = 'ws-001.example.test',
): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const result = await runCq(['forward', file, '--server', intake, '--platform-host', host]);
  if (result.code !== 0) throw new Error(`cq forward failed: ${result.stderr}`);
  const id = /(\d+)/.exec(result.stdout)?.[1];
  if (!id) throw new Error(`cq forward printed no id: ${result.stdout}`);
  return id;
}

/** Call a control method over a socket with `cq ctl`. */
export async function ctl(socket: string, method: string, params: unknown = {}): Promise<unknown> {
  const result = await runCq(['ctl', '--socket', socket, method, JSON.stringify(params)]);
  if (result.code !== 0) throw new Error(`cq ctl ${method} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

/** Problems the page reported (script errors, CSP violations, failed console calls). */
export interface PageProblems {
  readonly errors: string[];
}

/** Open a page on the console, collecting script errors and console errors. */
export async function openConsolePage(
  browser: Browser,
  url: string,
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: PageProblems = { errors: [] };
  page.on('pageerror', (error) => problems.errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  return { context, page, problems };
}

/** A console and a browser page on it, for the tests of one file. */
export interface ConsoleSession {
  readonly proc: ConsoleProcess;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: PageProblems;
}

/**
 * Build the renderer if needed, start a console on `dataDir`, let `prepare` set up its server
 * before any page is open, then open a page on it. Whatever was started is stopped again when
 * a later step fails.
 */
export async function openConsoleSession(
  dataDir: string,
  prepare?: (proc: ConsoleProcess) => Promise<unknown>,
): Promise<ConsoleSession> {
  await ensureRendererBuilt();
  const proc = await startConsole(dataDir);
  let browser: Browser | undefined;
  try {
    await prepare?.(proc);
    browser = await launchBrowser();
    return { proc, browser, ...(await openConsolePage(browser, proc.url)) };
  } catch (error) {
    await browser?.close();
    await proc.stop();
    throw error;
  }
}

/** A test file's session; a test may replace its parts (say, after restarting the console). */
export type SharedConsoleSession = { -readonly [K in keyof ConsoleSession]: ConsoleSession[K] };

/**
 * The console session of a test file: `open` runs before the file's tests (hooks the file
 * registers later run after it), and whatever the session holds then is closed after them.
 */
export function shareConsoleSession(open: () => Promise<ConsoleSession>): SharedConsoleSession {
  const session = {} as SharedConsoleSession;
  beforeAll(async () => {
    Object.assign(session, await open());
  }, 180_000);
  afterAll(() => closeConsoleSession(session));
  return session;
}

/** Close what a session opened (any of it may be missing after a failed start). */
export async function closeConsoleSession(session: Partial<ConsoleSession>): Promise<void> {
  await session.context?.close();
  await session.browser?.close();
  await session.proc?.stop();
}

/** Save a screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });
}

/** Wait until `read` returns `expected` (deep equal); the page and servers run at their own pace. */
export const WAIT = { timeout: 20_000, interval: 100 } as const;

/** Wait for a value with a timeout that suits two shared cores; `step` names it in a failure. */
export const poll = <T>(read: () => T | Promise<T>, step?: string) =>
  expect.poll(read, step === undefined ? WAIT : { ...WAIT, message: step });
