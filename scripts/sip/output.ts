// Where a command writes: stdout for results, stderr for the one-line errors.
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Colour the doctor's report (stdout is a TTY and NO_COLOR is unset). */
  colour: boolean;
}
