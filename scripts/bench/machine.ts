import {
  arch,
  availableParallelism,
  cpus,
  loadavg,
  platform,
  release,
  totalmem,
  type,
} from 'node:os';

export interface MachineDescription {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  /** What Node may actually use (cgroup limits included). */
  availableParallelism: number;
  memoryBytes: number;
  node: string;
  os: string;
  arch: string;
  /**
   * 1-minute load average when the bench started and ended: above the core count, something else
   * was competing for the CPU and the figures are low.
   */
  loadAverage: { atStart: number; atEnd?: number };
}

export function describeMachine(): MachineDescription {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()} (${platform()})`,
    arch: arch(),
    loadAverage: { atStart: currentLoadAverage() },
  };
}

export function currentLoadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
