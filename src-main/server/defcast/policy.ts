/**
 * The Install Definitions policy (SPEC §11, guide "Install Definitions" tab) as Defcast applies
 * it. Sample-driven deliveries follow the samples the scanner moved to `distribute`: they go to
 * the endpoint that found the threat, and, when "servers of selected clients" is on, to the
 * server that endpoint names as its definitions source (X-Platform-Distributor). Set-driven
 * deliveries follow an activation: certified sets to the selected targets, non-certified ones
 * to the selected targets when that box is ticked. "Selected" means selected in the Targets
 * view (`targets.select`) or named in the tab's target list.
 */
import type { Config } from '../../../src-shared/config/schema.js';
import type { TargetRow } from '../store/targets-repo.js';
import { matchesName } from './target-identity.js';

/** What Defcast needs to know about a set to apply the policy. */
export interface PolicySet {
  readonly sequence: number;
  readonly certified: boolean;
}

/** Whether a target counts as selected for sets of this kind. */
export function isSelectedFor(target: TargetRow, set: PolicySet, config: Config): boolean {
  const tab = config.installDefinitions;
  const names = set.certified ? tab.certified.targets : tab.nonCertified.targets;
  return target.selected || matchesName(target, names);
}

/** The targets an activated set goes to without an administrator, by the policy. */
export function targetsForActivation(
  targets: readonly TargetRow[],
  set: PolicySet,
  config: Config,
): TargetRow[] {
  const tab = config.installDefinitions;
  const on = set.certified ? tab.certified.toSelectedTargets : tab.nonCertified.toSelectedTargets;
  if (!on) return [];
  return targets.filter((t) => isSelectedFor(t, set, config) && (t.sequence ?? 0) < set.sequence);
}

/** Whether a sample's definitions also go to its endpoint's definitions server. */
export function deliversToServers(config: Config): boolean {
  return config.installDefinitions.nonCertified.toServersOfSelectedClients;
}

/** The definitions servers a target names (X-Platform-Distributor), among known targets. */
export function serversOf(target: TargetRow, targets: readonly TargetRow[]): TargetRow[] {
  const name = target.distributor?.toLowerCase();
  if (!name) return [];
  return targets.filter((t) => t.id !== target.id && t.host.toLowerCase() === name);
}
