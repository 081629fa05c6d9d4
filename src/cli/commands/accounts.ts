import { randomBytes } from 'node:crypto';
import type {
  AccountChange,
  ApiTokenList,
  ApprovalList,
  ApprovalStep,
  CreatedApiToken,
  UserList,
} from '../../api/contract.ts';
import { ROLES } from '../../domain/accounts/index.ts';
import { type Args, bool, boolFlag, type CommandSpec, JSON_FLAG, str, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { type Io, line, table, writeJson } from '../output.ts';

const ROLE_LIST = ROLES.join('|');

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
};

const named = (positionals: string[], what: string): string => {
  const [name] = positionals;
  if (name === undefined) throw new UsageError(`name the ${what}`);
  return name;
};

const roleFlag = (value: string | undefined, required: boolean): string | undefined => {
  if (value === undefined) {
    if (required) throw new UsageError(`--role is required: one of ${ROLE_LIST}`);
    return undefined;
  }
  if (!(ROLES as readonly string[]).includes(value))
    throw new UsageError(`--role ${value}: must be one of ${ROLE_LIST}`);
  return value;
};

const printChange = (out: Io['out'], what: string, change: { status: string; seq: number }) =>
  line(out, `${change.status} ${what} (seq ${change.seq})`);

// A user change that takes only the name: disable, enable.
const userAction = (verb: 'disable' | 'enable', summary: string): CommandSpec => ({
  path: ['users', verb],
  usage: `kanade users ${verb} NAME${verb === 'disable' ? ' [--reason TEXT]' : ''}`,
  summary,
  options: verb === 'disable' ? { reason: str('why, for the audit trail', { value: 'text' }) } : {},
  run: async (args, ctx) => {
    const user = named(args.positionals, 'user');
    const reason = stringFlag(args, 'reason');
    const res = await ctx
      .client()
      .send<AccountChange>(
        'POST',
        `/api/users/${encodeURIComponent(user)}/${verb}`,
        reason === undefined ? {} : { reason },
      );
    printChange(ctx.io.out, user, res);
    return 0;
  },
});

/**
 * A read that prints the API's answer as a table (or, with --json, as it came): `query` turns the
 * flags into the request's query, `rows` the answer into the table.
 */
const listCommand = <T>(o: {
  path: string[];
  usage: string;
  summary: string;
  options?: CommandSpec['options'];
  api: string;
  query?: (args: Args) => Record<string, string>;
  columns: string[];
  rows: (answer: T) => (string | number)[][];
}): CommandSpec => ({
  path: o.path,
  usage: o.usage,
  summary: o.summary,
  options: { ...o.options, ...JSON_FLAG },
  run: async (args, ctx) => {
    const answer = await ctx.client().get<T>(o.api, o.query?.(args) ?? {});
    if (boolFlag(args, 'json')) writeJson(ctx.io, answer);
    else line(ctx.io.out, table(o.columns, o.rows(answer)));
    return 0;
  },
});

/** `kanade users …` and `kanade tokens …`: people, their roles, and their personal API tokens. */
export const accountCommands: CommandSpec[] = [
  {
    path: ['users', 'add'],
    usage: `kanade users add NAME --role ${ROLE_LIST} [--password-stdin] [--json]`,
    summary: 'Add a user; without --password-stdin a password is generated and printed once',
    options: {
      role: str('what the user may do', { value: ROLE_LIST }),
      'password-stdin': bool('read the password from standard input (at least 12 characters)'),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const user = named(args.positionals, 'user');
      const role = roleFlag(stringFlag(args, 'role'), true);
      const password = boolFlag(args, 'password-stdin') ? await readStdin() : undefined;
      const res = await ctx
        .client()
        .send<AccountChange>('POST', '/api/users', { user, role, ...(password === undefined ? {} : { password }) });
      if (boolFlag(args, 'json')) writeJson(ctx.io, res);
      else {
        printChange(ctx.io.out, user, res);
        if (res.password !== undefined) line(ctx.io.out, `password: ${res.password}  (shown this once)`);
      }
      return 0;
    },
  },
  listCommand<UserList>({
    path: ['users', 'list'],
    usage: 'kanade users list [--json]',
    summary: 'Users, their roles and whether they are disabled',
    api: '/api/users',
    columns: ['USER', 'ROLE', 'STATE', 'PASSWORD', 'CREATED BY', 'CHANGED'],
    rows: ({ users }) =>
      users.map((u) => [
        u.user,
        u.role,
        u.disabled ? 'disabled' : 'active',
        u.has_password ? 'set' : '-',
        u.created_by,
        `${u.changed_at} by ${u.changed_by}`,
      ]),
  }),
  {
    path: ['users', 'set-role'],
    usage: `kanade users set-role NAME --role ${ROLE_LIST}`,
    summary: 'Change what a user may do (their tokens never do more)',
    options: { role: str('the new role', { value: ROLE_LIST }) },
    run: async (args, ctx) => {
      const user = named(args.positionals, 'user');
      const role = roleFlag(stringFlag(args, 'role'), true);
      const res = await ctx
        .client()
        .send<AccountChange>('PUT', `/api/users/${encodeURIComponent(user)}/role`, { role });
      printChange(ctx.io.out, user, res);
      return 0;
    },
  },
  userAction('disable', 'Disable a user: their sessions and tokens are refused from the next request'),
  userAction('enable', 'Enable a disabled user (they sign in again; their tokens work again)'),
  {
    path: ['users', 'passwd'],
    usage: 'kanade users passwd NAME [--password-stdin]',
    summary: "Set a user's password (yours, or anyone's as an admin); generated and printed without --password-stdin",
    options: { 'password-stdin': bool('read the password from standard input (at least 12 characters)') },
    run: async (args, ctx) => {
      const user = named(args.positionals, 'user');
      const given = boolFlag(args, 'password-stdin') ? await readStdin() : undefined;
      const password = given ?? randomBytes(18).toString('base64url');
      const res = await ctx
        .client()
        .send<AccountChange>('PUT', `/api/users/${encodeURIComponent(user)}/password`, { password });
      printChange(ctx.io.out, user, res);
      if (given === undefined) line(ctx.io.out, `password: ${password}  (shown this once)`);
      return 0;
    },
  },
  {
    path: ['tokens', 'create'],
    usage: `kanade tokens create [--user NAME] [--name N] [--role ${ROLE_LIST}] [--expires 30d] [--json]`,
    summary: "Make a personal API token (yours, or a user's as an admin); printed once",
    options: {
      user: str('whose token', { default: 'you', value: 'name' }),
      name: str('what the token is for (its events name it)', { default: 'token', value: 'name' }),
      role: str("what it may do, at most its owner's role", { default: "the owner's role", value: ROLE_LIST }),
      expires: str('refuse the token after this long', { default: 'never', value: 'duration' }),
      ...JSON_FLAG,
    },
    run: async (args, ctx) => {
      const body = {
        ...optional('user', stringFlag(args, 'user')),
        ...optional('name', stringFlag(args, 'name')),
        ...optional('role', roleFlag(stringFlag(args, 'role'), false)),
        ...optional('expires', stringFlag(args, 'expires')),
      };
      const created = await ctx.client().send<CreatedApiToken>('POST', '/api/tokens', body);
      if (boolFlag(args, 'json')) writeJson(ctx.io, created);
      else {
        line(ctx.io.out, created.token);
        line(
          ctx.io.err,
          `token ${created.name} of ${created.user} (${created.token_id}), role ${created.role}${created.expires_at === null ? '' : `, expires ${created.expires_at}`}: shown this once; use it as KANADE_TOKEN`,
        );
      }
      return 0;
    },
  },
  listCommand<ApiTokenList>({
    path: ['tokens', 'list'],
    usage: 'kanade tokens list [--user NAME] [--json]',
    summary: 'Personal API tokens (never their secrets): yours, or everyone’s as an admin',
    options: { user: str('only this user’s', { value: 'name' }) },
    api: '/api/tokens',
    query: (args) => optional('user', stringFlag(args, 'user')),
    columns: ['ID', 'USER', 'NAME', 'ROLE', 'EXPIRES', 'REVOKED'],
    rows: ({ tokens }) =>
      tokens.map((t) => [t.token_id, t.user, t.name, t.role, t.expires_at ?? '-', t.revoked_at ?? '-']),
  }),
  {
    path: ['tokens', 'revoke'],
    usage: 'kanade tokens revoke <token-id>',
    summary: 'Revoke a personal API token: refused from the next request',
    run: async (args, ctx) => {
      const id = named(args.positionals, 'token id (kanade tokens list)');
      const res = await ctx.client().send<{ status: string; seq: number }>('DELETE', `/api/tokens/${id}`);
      printChange(ctx.io.out, id, res);
      return 0;
    },
  },
  listCommand<ApprovalList>({
    path: ['approvals', 'list'],
    usage: 'kanade approvals list [--json]',
    summary: 'Execs waiting for approval: job, target, who asked, approvals so far, expiry',
    api: '/api/approvals',
    columns: ['EXEC', 'JOB', 'TARGETS', 'ASKED BY', 'APPROVALS', 'EXPIRES'],
    rows: ({ approvals }) =>
      approvals.map((a) => [
        a.exec_id,
        `${a.job_id}@${a.version}`,
        a.target_count,
        a.requested_by,
        `${a.approvals_given}/${a.approvals_needed}`,
        a.approval_expires_at ?? '-',
      ]),
  }),
  {
    path: ['approvals', 'approve'],
    usage: 'kanade approvals approve <exec_id>',
    summary: 'Approve an exec somebody else asked for (the last approval dispatches it)',
    run: async (args, ctx) => {
      const id = named(args.positionals, 'exec (kanade approvals list)');
      const res = await ctx.client().send<ApprovalStep>('POST', `/api/executions/${encodeURIComponent(id)}/approve`);
      printChange(ctx.io.out, id, res);
      return 0;
    },
  },
  {
    path: ['approvals', 'reject'],
    usage: 'kanade approvals reject <exec_id> --reason TEXT',
    summary: 'Reject an exec waiting for approval: it ends, and nothing is dispatched',
    options: { reason: str('why (required: it is recorded)', { value: 'text' }) },
    run: async (args, ctx) => {
      const id = named(args.positionals, 'exec (kanade approvals list)');
      const reason = stringFlag(args, 'reason');
      if (reason === undefined) throw new UsageError('--reason is required: say why');
      const res = await ctx
        .client()
        .send<ApprovalStep>('POST', `/api/executions/${encodeURIComponent(id)}/reject`, { reason });
      printChange(ctx.io.out, id, res);
      return 0;
    },
  },
];

const optional = (key: string, value: string | undefined): Record<string, string> =>
  value === undefined ? {} : { [key]: value };
