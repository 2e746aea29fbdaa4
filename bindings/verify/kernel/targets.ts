// The Strata side of the kernel differential: the engine's Overlay (the product), or the reference
// model (verify/model) — the same Layer stack either way, so the kernel can judge both.
import type { StrataTarget } from './differential.js';
import type { OverlayUnderTest } from './diff-ops.js';

export type TargetName = 'overlay' | 'model';

/** Load a target; the engine is imported on demand so the harness builds before it exists. */
export async function loadTarget(name: TargetName): Promise<StrataTarget> {
  if (name === 'model') {
    const { ModelOverlay } = await import('../model/model-overlay.js');
    return {
      name: 'model',
      create: (o) => new ModelOverlay({ lowers: o.lowers, upper: o.upper, redirectDir: o.redirectDir, metacopy: o.metacopy === true, index: o.index === true }) as unknown as OverlayUnderTest,
    };
  }
  const api = (await import('../../index.js')) as { Overlay?: new (options: object) => OverlayUnderTest };
  const Overlay = api.Overlay;
  if (Overlay === undefined) throw new Error('bindings/index.js does not export Overlay yet');
  return {
    name: 'overlay',
    create: (o) => new Overlay({ lowers: o.lowers, upper: o.upper, redirectDir: o.redirectDir, metacopy: o.metacopy === true, index: o.index === true, policy: 'relaxed' }),
  };
}
