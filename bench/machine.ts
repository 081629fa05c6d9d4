import { execFileSync } from 'node:child_process';
import { cpus, freemem, totalmem, type } from 'node:os';

/** One line describing where a benchmark ran: numbers mean little without it. */
export const describeMachine = (natsBin?: string): string => {
  const cpu = cpus();
  const nats = natsBin === undefined ? '' : `, ${execFileSync(natsBin, ['--version']).toString().trim()}`;
  const gib = (n: number) => (n / 2 ** 30).toFixed(1);
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${gib(totalmem())} GiB RAM (${gib(freemem())} free), ${type()}, Node ${process.version}${nats}`;
};
