// kanade dashboard: live regions and confirmations. Pages work without it; it only saves reloads.
(() => {
  // Forms with data-confirm ask first.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Live regions: when the read models move (server-sent events), fetch this page again and swap
  // every element marked data-live whose content changed (unchanged ones keep focus and state).
  const regions = () => document.querySelectorAll('[data-live][id]');
  if (regions().length === 0 || !('EventSource' in window)) return;
  let busy = false;
  let again = false;
  let updates = 0;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const res = await fetch(location.href, { headers: { 'X-Kanade-Live': '1' }, credentials: 'same-origin' });
      if (!res.ok || res.redirected) return;
      const next = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const region of regions()) {
        const fresh = next.getElementById(region.id);
        if (fresh !== null && fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
      }
      document.body.dataset.liveUpdates = String(++updates);
    } catch {
      // offline for a moment: the next event or tick tries again
    } finally {
      busy = false;
      if (again) {
        again = false;
        setTimeout(refresh, 200);
      }
    }
  };
  const events = new EventSource('/live');
  events.addEventListener('seq', () => void refresh());
  setInterval(() => void refresh(), 15000); // liveness (online/offline) changes with time alone
})();
