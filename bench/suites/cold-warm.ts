import type { Suite } from '../context.js';

export const coldWarmSuite: Suite = {
  name: 'cold-warm',
  description: 'todo',
  planned: () => 1,
  async run(ctx) { ctx.h.skip('cold-warm', 'all', 'not written yet'); },
};
