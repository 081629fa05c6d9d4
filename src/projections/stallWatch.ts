/** How often a follower checks that it keeps up, and how long it may stand still behind the head. */
const CHECK_MS = 5_000;

/**
 * Watches a stream follower: when the stream's head is past what the follower applied and the
 * follower has not moved for a whole check interval, `onStall` ends its pass (the caller then starts
 * again from its checkpoint with a new consumer). An ordered consumer can be left waiting after a
 * broker restart; this turns that silent stall into a restart.
 */
export const watchForStall = (o: {
  position: () => number;
  /** False while the follower is busy applying what it received (that is not a stall). */
  idle?: () => boolean;
  head: () => Promise<number>;
  onStall: (at: number, head: number) => void;
  everyMs?: number;
}): (() => void) => {
  let last = o.position();
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    const at = o.position();
    void o
      .head()
      .then((head) => {
        if (head > at && at === last && (o.idle?.() ?? true)) o.onStall(at, head);
        last = at;
      })
      .catch(() => {}) // the broker is away: nothing to judge until it is back
      .finally(() => {
        checking = false;
      });
  }, o.everyMs ?? CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
};
