// Revalidation policies: what a cached entry that can no longer be trusted turns into.
// docs/semantics.md, "When a lower layer changes underneath": an entry is *changed* when a real
// object it depends on was renamed, deleted or replaced; *expired* when its layer stops vouching
// for it (TTL, explicit expiry) though nothing is known to have changed.
import { invalidChoice } from './arg-errors.js';

export type PolicyName = 'strict' | 'relaxed' | 'strict-legacy';

export interface Policy {
  readonly name: PolicyName;
  /** changed → fail the operation with ESTALE (entry dropped), or drop it and look up again. */
  readonly onChanged: 'estale' | 'relookup';
  /** expired → re-validate against the layers (same objects: keep it), or ESTALE outright. */
  readonly onExpired: 'revalidate' | 'estale';
}

export const POLICIES: Readonly<Record<PolicyName, Policy>> = Object.freeze({
  // Never ESTALE: the answer is always the one a fresh, uncached overlay would give.
  relaxed: Object.freeze({ name: 'relaxed', onChanged: 'relookup', onExpired: 'revalidate' } as const),
  // ESTALE once for a real change; expiry alone is never an error.
  strict: Object.freeze({ name: 'strict', onChanged: 'estale', onExpired: 'revalidate' } as const),
  // Today's upstream behaviour for remote layers: an expired entry is as stale as a changed one.
  'strict-legacy': Object.freeze({ name: 'strict-legacy', onChanged: 'estale', onExpired: 'estale' } as const),
});

export const DEFAULT_POLICY: PolicyName = 'relaxed';

/** The policy named `name` (default relaxed); anything else is a TypeError naming the choices. */
export function policyFor(name: unknown = DEFAULT_POLICY): Policy {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(POLICIES, name)) return POLICIES[name as PolicyName];
  throw invalidChoice('policy', Object.keys(POLICIES), name);
}
