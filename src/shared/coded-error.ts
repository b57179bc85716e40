// The one shape of an error the station can name: a stable `code` the front ends translate and the
// records keep, the message in the station's words, and, where the place that throws knows it
// better than the place that catches, the operator's next action. Every family of such errors
// (bundle, handset, AT link, label, fastboot, records, the pipeline's own findings) extends it with
// the same argument order, code first, so a catcher needs one `instanceof` and no list of classes.

export interface CodedErrorOptions extends ErrorOptions {
  /** What the operator does next, in the station's words; null leaves it to whoever reports the error. */
  readonly action?: string;
  /**
   * The untrusted or variable values the message quotes (a path, an id), already escaped for display,
   * so a front end can word the code in the operator's language and still name them.
   */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * Which finding of the code the message states, when one code has several (a front end words
   * `<code>` or this key with `params`); null: the code's one finding.
   */
  readonly detail?: string;
}

export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly action: string | null;
  readonly params: Readonly<Record<string, string>>;
  readonly detail: string | null;
  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'CodedError';
    this.code = code;
    this.action = options.action ?? null;
    this.params = options.params ?? {};
    this.detail = options.detail ?? null;
  }
}
