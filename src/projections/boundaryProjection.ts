import type { Projection } from './projection.ts';

/**
 * Records what the read boundary refused: an event on a subject it does not belong on (see
 * `misplacedEvent`). Throwing is how a projection reports an event it will not apply — the runner
 * keeps it in `projection_errors`, counted in /health — and no other projection applies `$Refused`.
 */
export const boundaryProjection: Projection = {
  name: 'boundary',
  version: 1,
  apply: (event) => {
    if (event.type !== '$Refused') return [];
    throw new Error(`${String(event.data.type)} on ${String(event.data.subject)}: ${String(event.data.error)}`);
  },
};
