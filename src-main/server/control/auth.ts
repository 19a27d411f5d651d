/**
 * Remote console login (SPEC §4.6): checks a user's password against the stored scrypt hash and
 * rate-limits failures per remote address and per user. Unknown users and wrong passwords get
 * the same answer after the same work, so the API does not reveal which user names exist.
 */
import { ApiError } from '../../../src-shared/api/client-api.js';
import type { SessionUser } from '../../../src-shared/api/contract.js';
import { createLogger } from '../../log/logger.js';
import { hashPassword, verifyPassword } from './password.js';

const log = createLogger('control.auth');

/** Settings of the login guard. */
export interface LoginGuardOptions {
  /** The encoded password hash of a user (`domain` is '' for none), or undefined if unknown. */
  readonly lookup: (
    name: string,
    domain: string,
  ) => Promise<string | undefined> | string | undefined;
  /** Failures allowed per address and per user within `windowMs`. Default 5. */
  readonly maxFailures?: number;
  /** How far back failures count. Default 60 s. */
  readonly windowMs?: number;
  /** How long an address or user is refused once over budget. Default 60 s. */
  readonly lockoutMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** One login attempt, as `session.login` receives it. */
export interface LoginAttempt {
  readonly user: string;
  readonly password: string;
  readonly domain?: string | undefined;
}

/** Checks logins and enforces the failure budget. */
export interface LoginGuard {
  /** The session user on success; throws `ApiError` `login-failed` or `rate-limited`. */
  login(attempt: LoginAttempt, remoteAddress: string): Promise<SessionUser>;
}

interface Budget {
  failures: number[];
  inFlight: number;
  lockedUntil: number;
}

// Past this many tracked keys, settled ones are forgotten so a scan of many user names or
// addresses cannot grow the table without bound.
const PRUNE_ABOVE = 10_000;

/** Create a login guard over a user lookup. */
export function createLoginGuard(options: LoginGuardOptions): LoginGuard {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const lockoutMs = options.lockoutMs ?? 60_000;
  const now = options.now ?? Date.now;
  const budgets = new Map<string, Budget>();
  // Unknown users are verified against this so they cost what a real user costs.
  const dummyHash = hashPassword(`unknown-user-${Math.random()}`);
  dummyHash.catch((error: unknown) =>
    log.error('cannot prepare dummy hash', { error: String(error) }),
  );

  const budgetOf = (key: string): Budget => {
    let budget = budgets.get(key);
    if (!budget) {
      if (budgets.size >= PRUNE_ABOVE) prune(budgets, now(), windowMs);
      budget = { failures: [], inFlight: 0, lockedUntil: 0 };
      budgets.set(key, budget);
    }
    return budget;
  };

  // In-flight attempts count against the budget so a burst of parallel guesses cannot all slip
  // in before the first failure is recorded.
  const overBudget = (budget: Budget, t: number): boolean => {
    if (budget.lockedUntil > t) return true;
    budget.failures = budget.failures.filter((at) => at > t - windowMs);
    return budget.failures.length + budget.inFlight >= maxFailures;
  };

  const recordFailure = (budget: Budget, t: number): void => {
    budget.failures.push(t);
    if (budget.failures.length >= maxFailures) {
      budget.lockedUntil = t + lockoutMs;
      budget.failures = [];
    }
  };

  return {
    async login(attempt, remoteAddress) {
      const domain = attempt.domain ?? '';
      const byAddress = budgetOf(`address:${remoteAddress}`);
      const byUser = budgetOf(`user:${domain.toLowerCase()}\\${attempt.user.toLowerCase()}`);
      const started = now();
      if (overBudget(byAddress, started) || overBudget(byUser, started)) {
        log.warn('login refused: too many failures', { remoteAddress, user: attempt.user });
        throw new ApiError('rate-limited', 'too many failed logins; try again later');
      }
      byAddress.inFlight += 1;
      byUser.inFlight += 1;
      let ok = false;
      try {
        const encoded = await options.lookup(attempt.user, domain);
        const matches = await verifyPassword(attempt.password, encoded ?? (await dummyHash));
        ok = matches && encoded !== undefined;
      } finally {
        byAddress.inFlight -= 1;
        byUser.inFlight -= 1;
      }
      const finished = now();
      if (!ok) {
        recordFailure(byAddress, finished);
        recordFailure(byUser, finished);
        log.warn('login failed', { remoteAddress, user: attempt.user, domain });
        throw new ApiError('login-failed', 'unknown user or wrong password');
      }
      // Success resets the user's count only: one good account must not reset an address
      // that is guessing at others.
      byUser.failures = [];
      return { user: attempt.user, domain };
    },
  };
}

function prune(budgets: Map<string, Budget>, t: number, windowMs: number): void {
  for (const [key, budget] of budgets) {
    const settled =
      budget.inFlight === 0 &&
      budget.lockedUntil <= t &&
      budget.failures.every((at) => at <= t - windowMs);
    if (settled) budgets.delete(key);
  }
}
