// Progress on stderr, one line per namespace folder with a counter and its time. On a terminal
// the line of the folder being worked on is rewritten in place until it is done; in a log only
// finished folders appear, one line each, so that a log reads the same as a terminal.
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const CLEAR_LINE = "\r\x1b[2K";

export class Progress {
  private index = 0;
  private started = 0;
  private label = "";
  /** How many folders the run has, once it knows. */
  total = 0;

  constructor(private readonly stream: ProgressStream | undefined) {}

  /** A folder starts: shown on a terminal only. */
  start(label: string): void {
    this.index++;
    this.label = label;
    this.started = performance.now();
    if (this.stream?.isTTY) this.stream.write(`${CLEAR_LINE}${this.counter()} ${label} …`);
  }

  /** The folder started last is done. */
  done(): void {
    const line = `${this.counter()} ${this.label} ${Math.round(performance.now() - this.started)} ms\n`;
    this.stream?.write(this.stream.isTTY ? CLEAR_LINE + line : line);
  }

  /** Work for all folders at once (one kustomize run, the checks): a terminal shows it until the next line. */
  phase(text: string): void {
    if (this.stream?.isTTY) this.stream.write(`${CLEAR_LINE}${text} …`);
  }

  /** Leaves no half-written line behind for the summary that follows. */
  end(): void {
    if (this.stream?.isTTY) this.stream.write(CLEAR_LINE);
  }

  private counter(): string {
    return `[${this.index}/${this.total}]`;
  }
}

type Spinner = { start: (...args: unknown[]) => unknown };

/**
 * plop runs actions under its spinner (nanospinner), which without a terminal prints a bare
 * `- ` line each time it starts, and on one would fight the progress line. plop 4 exports it and
 * starts it through a property lookup: a no-op start leaves its ✔ and ✖ lines as they are.
 */
export function silencePlopSpinner(plop: unknown): void {
  const spinner = (plop as { progressSpinner?: Spinner }).progressSpinner;
  if (spinner) spinner.start = () => spinner;
}
