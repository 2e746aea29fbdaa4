// The two implementations of the Overlay API that shared test bodies run against: the engine
// (bindings/index.ts, WASM-cached) and the reference model (bindings/verify/model). A suite calls
// `forEachImplementation` and gets one `describe` per implementation.
import { describe } from 'node:test';
import { Overlay } from '../../bindings/index.js';
import type { Layer } from '../../bindings/layers/layer.js';
import { ModelOverlay } from '../../bindings/verify/model/model-overlay.js';

export interface StackOptions {
  lowers: Layer[];
  upper?: Layer;
  redirectDir?: boolean;
  metacopy?: boolean;
  index?: boolean;
  policy?: 'strict' | 'relaxed' | 'strict-legacy';
}

/** What the shared test bodies use of an overlay (both implementations answer all of it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOverlay = any;

export interface Implementation {
  name: 'engine' | 'model';
  make(options: StackOptions): AnyOverlay;
}

export const ENGINE: Implementation = {
  name: 'engine',
  make: (options) => new Overlay({ policy: 'relaxed', redirectDir: false, metacopy: false, ...options }),
};

export const MODEL: Implementation = {
  name: 'model',
  make: (options) => new ModelOverlay(options),
};

export const IMPLEMENTATIONS: Implementation[] = [ENGINE, MODEL];

/** Run the same suite body once per implementation. */
export function forEachImplementation(body: (impl: Implementation) => void): void {
  for (const impl of IMPLEMENTATIONS) describe(impl.name, () => body(impl));
}
