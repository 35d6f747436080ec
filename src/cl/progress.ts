/**
 * Progress of a run on the terminal: task, step, loss terms, images/s, ETA. One rewritten line on a TTY, a line
 * every few seconds otherwise; `json` mode prints one JSON object per event for machines.
 */
export interface ProgressEvent {
  event: 'step' | 'eval' | 'task-end' | 'info';
  task?: string;
  taskIndex?: number;
  tasks?: number;
  step?: number;
  steps?: number;
  lr?: number;
  terms?: Record<string, number>;
  imagesPerSecond?: number;
  etaSeconds?: number;
  message?: string;
  row?: number[];
}

export class Progress {
  private lastPrint = 0;
  private readonly tty: boolean;
  constructor(readonly json: boolean, private readonly out: NodeJS.WriteStream = process.stderr, readonly intervalMs = 2000) {
    this.tty = !!out.isTTY && !json;
  }

  emit(e: ProgressEvent): void {
    if (this.json) {
      this.out.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
      return;
    }
    if (e.event === 'step') {
      const now = Date.now();
      const lastStep = e.step !== undefined && e.steps !== undefined && e.step + 1 === e.steps;
      if (!lastStep && now - this.lastPrint < (this.tty ? 200 : this.intervalMs)) return;
      this.lastPrint = now;
      const terms = Object.entries(e.terms ?? {}).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
      const line = `task ${e.taskIndex! + 1}/${e.tasks} ${e.task} step ${e.step! + 1}/${e.steps} lr ${e.lr!.toExponential(2)} ${terms} | ${e.imagesPerSecond!.toFixed(1)} img/s | ETA ${fmtTime(e.etaSeconds!)}`;
      if (this.tty) this.out.write(`\r\x1b[K${line}`);
      else this.out.write(line + '\n');
      if (this.tty && lastStep) this.out.write('\n');
      return;
    }
    if (this.tty) this.out.write('\r\x1b[K');
    if (e.event === 'eval' || e.event === 'task-end') {
      this.out.write(`${e.message ?? ''}\n`);
    } else {
      this.out.write(`${e.message ?? ''}\n`);
    }
  }
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
