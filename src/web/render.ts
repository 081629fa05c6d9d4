import type { Context } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Fleet } from '../api/contract.ts';
import { page, type Section } from './layout.ts';
import { takeFlash, type WebEnv } from './session.ts';

/** Renders a page inside the shell, with the halt banner and any flash message. */
export const render = async (
  c: Context<WebEnv>,
  o: {
    title: string;
    section: Section;
    body: HtmlEscapedString | Promise<HtmlEscapedString>;
    status?: 200 | 404 | 422;
    /** Where live updates fetch this page (when it is shown in answer to a form posted elsewhere). */
    url?: string;
  },
) => {
  const fleet = await c.var.api.get<Fleet>('/api/fleet').catch(() => undefined);
  c.header('Cache-Control', 'no-store');
  return c.html(
    page({
      title: o.title,
      section: o.section,
      csrf: c.var.csrf,
      me: c.var.me,
      fleet,
      flash: takeFlash(c),
      body: o.body,
      ...(o.url === undefined ? {} : { url: o.url }),
    }),
    o.status ?? 200,
  );
};
