/**
 * True for errors that mean "the broker is not there right now" (a timeout, a closed or lost
 * connection, nobody answering), as opposed to an error about one item: a loop waits those out as a
 * whole instead of blaming (and skipping) the item it was working on.
 */
export const isBrokerUnavailable = (error: unknown): boolean => {
  const name = error instanceof Error ? error.name : '';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.name : '';
  return [
    'TimeoutError',
    'ClosedConnectionError',
    'NoRespondersError',
    'ConnectionError',
    'JetStreamNotEnabled',
    'DrainingConnectionError',
  ].some((n) => n === name || n === cause);
};
