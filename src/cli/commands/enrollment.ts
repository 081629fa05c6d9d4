import type { CreatedEnrollmentToken, EnrollmentTokenList } from '../../api/contract.ts';
import { bool, boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { line, table, writeJson } from '../output.ts';

/** `kanade enrollment-tokens …`: the tokens agents are installed with. */
export const enrollmentCommands: CommandSpec[] = [
  {
    path: ['enrollment-tokens', 'create'],
    usage: 'kanade enrollment-tokens create --name NAME [--auto-approve [--groups a,b]] [--expires 30d] [--json]',
    summary: 'Make a token agents enroll with; printed once (auto-approve: new PCs are approved at once)',
    options: {
      name: str('what the token is for (shown in requests and the audit trail)', { value: 'name' }),
      'auto-approve': bool('approve new PC ids at once (imaging pipelines); known ones always wait'),
      groups: str('with --auto-approve: the groups an agent may join this way (of those it asks for)', {
        default: 'none',
        value: 'a,b',
      }),
      expires: str('refuse the token after this long', { default: 'never', value: 'duration' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const name = stringFlag(args, 'name');
      if (name === undefined) throw new UsageError('--name is required: say what the token is for');
      const expires = stringFlag(args, 'expires');
      const created = await ctx.client().send<CreatedEnrollmentToken>('POST', '/api/enrollment-tokens', {
        name,
        auto_approve: boolFlag(args, 'auto-approve'),
        groups: (stringFlag(args, 'groups') ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean),
        ...(expires === undefined ? {} : { expires }),
      });
      if (boolFlag(args, 'json')) writeJson(ctx.io, created);
      else {
        line(ctx.io.out, created.token);
        line(
          ctx.io.err,
          `enrollment token ${created.name} (${created.token_id})${created.auto_approve ? `, auto-approve into groups [${created.groups.join(', ')}]` : ''}${created.expires_at === null ? '' : `, expires ${created.expires_at}`}: shown this once; agents take it as --enroll-token or KANADE_ENROLL_TOKEN`,
        );
      }
      return 0;
    },
  },
  {
    path: ['enrollment-tokens', 'list'],
    usage: 'kanade enrollment-tokens list [--json]',
    summary: 'Enrollment tokens (never their secrets): name, auto-approve, expiry, revoked',
    options: JSON_FLAG,
    run: async (args, ctx) => {
      const list = await ctx.client().get<EnrollmentTokenList>('/api/enrollment-tokens');
      if (boolFlag(args, 'json')) writeJson(ctx.io, list);
      else
        line(
          ctx.io.out,
          table(
            ['ID', 'NAME', 'AUTO-APPROVE', 'EXPIRES', 'CREATED BY', 'REVOKED'],
            list.tokens.map((t) => [
              t.token_id,
              t.name,
              t.auto_approve ? 'yes' : 'no',
              t.expires_at ?? '-',
              t.created_by,
              t.revoked_at ?? '-',
            ]),
          ),
        );
      return 0;
    },
  },
  {
    path: ['enrollment-tokens', 'revoke'],
    usage: 'kanade enrollment-tokens revoke <token-id>',
    summary: 'Revoke an enrollment token: new requests with it are refused (approved agents stay)',
    run: async (args, ctx) => {
      const [id] = args.positionals;
      if (id === undefined) throw new UsageError('name a token id (kanade enrollment-tokens list)');
      const res = await ctx.client().send<{ status: string; seq: number }>('DELETE', `/api/enrollment-tokens/${id}`);
      line(ctx.io.out, `${res.status} ${id} (seq ${res.seq})`);
      return 0;
    },
  },
];
