// kanade dashboard: live regions, confirmations, no double submits. Pages work without it; it only saves reloads.
(() => {
  // Forms with data-confirm ask first; a submitted form cannot be sent twice by a double click.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.dataset.sent === 'yes' && form.method === 'post') event.preventDefault();
    else form.dataset.sent = 'yes';
  });

  const regions = () => document.querySelectorAll('[data-live][id]');
  if (regions().length === 0 || !('EventSource' in window)) return;

  // What identifies a focusable element across a re-render (so focus can be put back).
  const keyOf = (el) =>
    el.id
      ? `#${el.id}`
      : `${el.tagName}|${el.getAttribute('href') ?? ''}|${el.closest('form')?.getAttribute('action') ?? ''}|${el.textContent?.trim() ?? ''}`;

  // Live regions: when the read models move (server-sent events), fetch this page again and swap
  // every region marked data-live whose content changed; the focused control keeps the focus.
  const MIN_GAP_MS = 1000;
  let busy = false;
  let again = false;
  let last = 0;
  let updates = 0;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    const wait = last + MIN_GAP_MS - Date.now();
    if (wait > 0) {
      busy = true;
      setTimeout(() => {
        busy = false;
        void refresh();
      }, wait);
      return;
    }
    busy = true;
    last = Date.now();
    try {
      const res = await fetch(document.body.dataset.page || location.href, { credentials: 'same-origin' });
      if (res.redirected && new URL(res.url).pathname === '/signin') {
        location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
        return;
      }
      if (!res.ok) return;
      const next = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const region of regions()) {
        const fresh = next.getElementById(region.id);
        if (fresh === null || fresh.innerHTML === region.innerHTML) continue;
        const active = document.activeElement;
        const focusKey =
          active !== null && active !== document.body && region.contains(active) ? keyOf(active) : undefined;
        region.innerHTML = fresh.innerHTML;
        if (focusKey !== undefined) {
          const same = [...region.querySelectorAll('a, button, input, select, textarea')].find(
            (el) => keyOf(el) === focusKey,
          );
          same?.focus();
        }
      }
      document.body.dataset.liveUpdates = String(++updates);
    } catch {
      // offline for a moment: the next event or tick tries again
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };
  const events = new EventSource('/live');
  events.addEventListener('seq', () => void refresh());
  // A stream that ended for good (signed out, server stopped) still refreshes, and finds out why.
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) void refresh();
  });
  setInterval(() => void refresh(), 15000); // liveness (online/offline) changes with time alone
})();
