import { execFileSync } from 'node:child_process';
import { cpus, freemem, totalmem, type } from 'node:os';

/** One line describing where a benchmark ran: numbers mean little without it. */
export const describeMachine = (natsBin?: string): string => {
  const cpu = cpus();
  const nats = natsBin === undefined ? '' : `, ${execFileSync(natsBin, ['--version']).toString().trim()}`;
  const gib = (n: number) => (n / 2 ** 30).toFixed(1);
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${gib(totalmem())} GiB RAM (${gib(freemem())} free), ${type()}, Node ${process.version}${nats}`;
};

/** A benchmark process's peak RSS and the CPU time all its threads used since `cpuAtStart`. */
export const processResources = (cpuAtStart: NodeJS.CpuUsage): { maxRssMiB: number; cpuSeconds: number } => {
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  };
};
